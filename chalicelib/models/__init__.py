"""pydantic v2 models: request and response bodies, and per-product payloads."""
