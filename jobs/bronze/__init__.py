"""Bronze: landing files parsed line by line and appended as-is, one Delta table per source."""
