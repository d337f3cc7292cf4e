"""The loaded snapshot of ``scv_customer_score``: the latest scored leads, indexed by dealer.

The loader keeps the rows of the latest ``as_of_date`` and the columns the app shows, sorted by dealer, then
score (highest first), then ``opty_id``. A dealer's leads are therefore one contiguous, already ordered slice
(found through a run-length index), so the rep view costs a zero-copy slice plus a filter over a few hundred
rows, whatever the size of the table.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from deltalake import DeltaTable

from ground.catalogue import GOLD_TABLES
from ground.lake import query

SCORE_TABLE = GOLD_TABLES["scv_customer_score"]
LEAD_COLUMNS = [
    "opty_id",
    "as_of_date",
    "dealer_code",
    "taluka",
    "district",
    "state",
    "customer_name",
    "customer_phone",
    "product_line",
    "stage",
    "lead_classification",
    "opty_category",
    "customer_type",
    "created_date",
    "expected_closure_date",
    "last_contact_date",
    "days_since_last_contact",
    "next_followup_date",
    "total_score",
    "rank_in_dealer",
    "reason_codes",
    "reasons",
    "next_best_action",
    "scored_at",
    "win_probability",
    "win_horizon_days",
    "account_id",  # the repeat-buying account of the lead, when it is one (docs/accounts.md)
]
SCORE_ORDER = [("total_score", "descending"), ("opty_id", "ascending")]
_MEMO_SIZE = 1024


class Memo:
    """A small thread-safe LRU of query results, owned by one snapshot (so a new version starts empty)."""

    def __init__(self, size: int = _MEMO_SIZE):
        self._size = size
        self._items: OrderedDict[Any, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get_or_compute(self, key: Any, compute: Callable[[], Any]) -> Any:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        value = compute()
        with self._lock:
            self._items[key] = value
            while len(self._items) > self._size:
                self._items.popitem(last=False)
        return value

    def __len__(self) -> int:
        return len(self._items)


def _empty_leads() -> pa.Table:
    return SCORE_TABLE.arrow_schema.empty_table().select(LEAD_COLUMNS)


def _conform(table: pa.Table) -> pa.Table:
    """Cast to the catalogue's types (e.g. timestamps written without a time zone) so rendering is uniform."""
    schema = pa.schema([SCORE_TABLE.arrow_schema.field(name) for name in LEAD_COLUMNS])
    return table.select(LEAD_COLUMNS).cast(schema)


class LeadData:
    """Leads of one ``as_of_date`` sorted by (dealer_code, score desc, opty_id), with a dealer index."""

    def __init__(self, table: pa.Table):
        if table.num_rows:
            # Sort the key columns only, then gather the (contiguous) table once: several times faster than
            # Table.sort_by on the chunked result of the scan.
            table = table.combine_chunks()
            order = [("dealer_code", "ascending"), *SCORE_ORDER]
            keys = table.select(["dealer_code", "total_score", "opty_id"])
            table = table.take(pc.sort_indices(keys, sort_keys=order))
        self.table = table
        self.as_of_date: dt.date | None = None
        if table.num_rows:
            self.as_of_date = table.column("as_of_date")[0].as_py()
        self.dealers = self._dealer_index(table)
        self.memo = Memo()

    @staticmethod
    def _dealer_index(table: pa.Table) -> dict[str, tuple[int, int]]:
        if not table.num_rows:
            return {}
        runs = pc.run_end_encode(table.column("dealer_code").combine_chunks())
        ends = runs.run_ends.to_pylist()
        values = runs.values.to_pylist()
        index: dict[str, tuple[int, int]] = {}
        start = 0
        for value, end in zip(values, ends, strict=True):
            if value is not None:
                index[value] = (start, end - start)
            start = end
        return index

    def dealer_slice(self, dealer_code: str) -> pa.Table:
        """The dealer's leads, best first (zero-copy); empty for an unknown dealer."""
        start, length = self.dealers.get(dealer_code, (0, 0))
        return self.table.slice(start, length)


def best_rows(table: pa.Table, k: int, mask: pa.ChunkedArray | None = None, is_sorted: bool = False) -> pa.Table:
    """The ``k`` best-scoring rows of ``table`` (where ``mask`` is true), best first.

    A table already in score order is sliced; otherwise only the score and id columns are ranked (top-k
    selection, no full sort) and the chosen rows gathered, so a leader's view of a million leads stays cheap.
    """
    if is_sorted:
        if mask is None:
            return table.slice(0, k)
        return table.take(pc.indices_nonzero(mask)[:k])
    keys = table.select(["total_score", "opty_id"]).append_column("_row", pa.array(np.arange(table.num_rows)))
    if mask is not None:
        keys = keys.filter(mask)
    if keys.num_rows > k:
        keys = keys.take(pc.select_k_unstable(keys, k, SCORE_ORDER))
    return table.take(keys.sort_by(SCORE_ORDER).column("_row"))


def load_leads(table: DeltaTable) -> LeadData:
    """Loader for the snapshot cache: the latest ``as_of_date`` of ``scv_customer_score``."""
    present = {field.name for field in table.schema().fields}  # a table written before a column was added
    columns = ", ".join(f'"{name}"' if name in present else f'null as "{name}"' for name in LEAD_COLUMNS)
    sql = f"select {columns} from t where as_of_date = (select max(as_of_date) from t)"
    arrow = query({"t": table}, sql)
    return LeadData(_conform(arrow) if arrow.num_rows else _empty_leads())
