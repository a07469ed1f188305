"""The storage function: file storage (/v1/storage/*)."""
from chalicelib.groups import build

app = build("storage")
