"""ODAVL Cloud service code, importable without Chalice running."""
