"""The api function: keys, runs, jobs, health, identity, the OpenAPI document and the dashboard."""
from chalicelib.groups import build

app = build("api")
