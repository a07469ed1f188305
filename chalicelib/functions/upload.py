"""The upload function: inline uploads and upload sessions (/v1/upload/*, /v1/uploads*)."""
from chalicelib.groups import build

app = build("upload")
