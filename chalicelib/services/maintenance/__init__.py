"""Scheduled maintenance: DynamoDB backups with retention, the restore drill, data retention."""
