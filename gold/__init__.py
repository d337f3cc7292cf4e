"""The gold table catalogue: schemas, keys, MERGE helpers, scoring and hotspot rules."""
