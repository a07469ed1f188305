"""The odavl command-line client of ODAVL Cloud."""
__version__ = "0.1.0"
