"""The HTTP layer shared by every route: one decorator that authenticates, validates,
renders errors in the documented shape and records the route for the OpenAPI document."""
from chalicelib.web.route import Reply, RequestContext, RouteSpec, REGISTRY, route

__all__ = ["Reply", "RequestContext", "RouteSpec", "REGISTRY", "route"]
