"""Business logic: what the routes and schedules call. Talks to AWS only through chalicelib.store."""
