"""ODAVL Cloud: the Chalice app. Thin: routes, schedules and queue handlers live in the
blueprints of chalicelib.routes, each module one area of the API."""
from chalice import Chalice

from chalicelib.routes import blueprints

app = Chalice(app_name="odavl-cloud")

for blueprint in blueprints():
    app.register_blueprint(blueprint)
