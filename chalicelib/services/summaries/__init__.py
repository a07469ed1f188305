"""Per-product summaries of validated payloads (what a run item shows) and the items of its run pages."""
