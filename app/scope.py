"""Who may see which rows: a ``Scope`` is derived from the signed-in user and applied in every data query.

- ``rep``: the leads of one dealer (``dealer_code``); no market views.
- ``manager``: the leads and talukas of one district (``district``, optionally narrowed to a ``state``).
- ``leader``: everything.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import pyarrow as pa
import pyarrow.compute as pc

Role = Literal["rep", "manager", "leader"]
ROLES: tuple[str, ...] = ("rep", "manager", "leader")


class ScopeError(PermissionError):
    """The scope does not allow this read (or is incomplete)."""


@dataclass(frozen=True)
class Scope:
    role: Role
    dealer_code: str | None = None
    district: str | None = None
    state: str | None = None

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise ScopeError(f"unknown role {self.role!r} (expected one of {', '.join(ROLES)})")
        if self.role == "rep" and not self.dealer_code:
            raise ScopeError("a rep needs a dealer_code")
        if self.role == "manager" and not self.district:
            raise ScopeError("a manager needs a district")

    @property
    def can_see_markets(self) -> bool:
        return self.role in ("manager", "leader")

    def describe(self) -> str:
        if self.role == "rep":
            return f"dealer {self.dealer_code}"
        if self.role == "manager":
            return f"district {self.district}" + (f", {self.state}" if self.state else "")
        return "all dealers and districts"


def _equals(table: pa.Table, column: str, value: str) -> pa.ChunkedArray:
    return pc.fill_null(pc.equal(table.column(column), pa.scalar(value, pa.string())), False)


def lead_mask(table: pa.Table, scope: Scope) -> pa.ChunkedArray | None:
    """Boolean mask of the lead rows ``scope`` may read (None: every row)."""
    if scope.role == "leader":
        return None
    if scope.role == "rep":
        return _equals(table, "dealer_code", str(scope.dealer_code))
    return area_mask(table, scope)


def area_mask(table: pa.Table, scope: Scope) -> pa.ChunkedArray | None:
    """Boolean mask of district-level rows (talukas, districts) ``scope`` may read; reps may read none."""
    if scope.role == "leader":
        return None
    if scope.role == "rep":
        raise ScopeError("market views are for managers and leadership")
    mask = _equals(table, "district", str(scope.district))
    if scope.state:
        mask = pc.and_(mask, _equals(table, "state", scope.state))
    return mask


def apply_mask(table: pa.Table, mask: pa.ChunkedArray | None) -> pa.Table:
    return table if mask is None else table.filter(mask)
