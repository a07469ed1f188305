"""The web pages for people: server-rendered templates, static assets and page views under /dashboard.

``routes`` (the blueprint app.py registers) imports nothing heavy: Jinja2, the services and the models
load on the first dashboard request, so other routes' cold starts do not pay for the pages."""

from chalicelib.dashboard.routes import bp

__all__ = ["bp"]
