"""The nightly job: bronze and silver steps, data quality, and the orchestration of a night (nightly.py)."""
