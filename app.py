"""ODAVL Cloud: the Chalice app. Thin: every route lives in a chalicelib.routes blueprint."""
from chalice import Chalice

from chalicelib.routes import keys, meta

app = Chalice(app_name="odavl-cloud")
app.api.cors = False

for module in (meta, keys):
    app.register_blueprint(module.bp)
