"""The only package that talks to AWS (DynamoDB, S3, SQS). Everything else calls these functions."""
