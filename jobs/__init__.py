"""Nightly PySpark job steps: bronze, silver, gold, scoring, orchestration; demo data and evaluation."""
