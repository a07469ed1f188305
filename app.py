"""ODAVL Cloud: the whole Chalice app. Thin: the routes, schedules and queue handlers live in the
blueprints of chalicelib.routes, listed by endpoint group in chalicelib/groups.py (a new blueprint
goes there). This app serves every group at once (``chalice local``, ``make serve``) and holds the
schedules and the worker that ``chalice package`` deploys; deployed, each endpoint group is a
function of its own (chalicelib.functions)."""
from chalicelib.groups import build

app = build()
