"""Per-product payload models (what each upload type's JSON must look like). Which model belongs to
which upload type is a row of ``chalicelib.services.upload_types``."""
