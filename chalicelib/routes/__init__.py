"""Route modules, one Blueprint per area; app.py registers them all."""
