"""Silver: bronze rows typed, checked and upserted as the canonical tables, latest version per key."""
