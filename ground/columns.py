"""Column expressions shared by the layers, written so that Sail and Spark evaluate them alike and fast."""

from __future__ import annotations

from collections.abc import Mapping

from pyspark.sql import Column
from pyspark.sql import functions as F


def lookup(value: Column, table: Mapping[str, object]) -> Column:
    """``table[value]`` per row, null where the value is not one of its keys, as a ``CASE`` over the keys.

    Not ``element_at(create_map(...), value)``: Sail builds that literal map again for every row, which cost
    1.5 s per 730,000 rows for a map of 20 codes against 0.02 s for the ``CASE`` (docs/benchmarks.md)."""
    result: Column | None = None
    for key, mapped in table.items():
        matched = value == F.lit(key)
        result = F.when(matched, F.lit(mapped)) if result is None else result.when(matched, F.lit(mapped))
    return result if result is not None else F.lit(None)
