"""The service version, reported by /v1/health and the OpenAPI document."""
VERSION = "0.1.0"
