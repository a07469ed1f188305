"""The usage function: usage and metering (/v1/usage*)."""
from chalicelib.groups import build

app = build("usage")
