"""Accounts crossing into Critical (account_health.is_new_critical: the first day of a Critical episode) for the
daily email: read with delta-rs, ranked by the 12-month value at risk, and chosen per recipient (leadership all,
a district manager their districts'). The section is optional: a lake without the account tables adds nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from alert_agent.routing import LEADERSHIP, MessagePlan
from ground import lake
from ground.catalogue import GOLD_TABLES


@dataclass(frozen=True)
class CriticalAccount:
    account_id: str
    account_name: str
    segment: str
    rfm_segment: str
    district: str
    state: str
    health_score: float
    factors: tuple[str, ...]
    intervention: str
    churn_probability: float | None
    clv: float | None

    @property
    def value_at_risk(self) -> float:
        return (self.clv or 0.0) * (self.churn_probability or 0.0)


def _rows(lake_root: str, name: str, as_of: date, where: str = "") -> list[dict[str, object]]:
    table = lake.open_table(GOLD_TABLES[name].location(lake_root))
    if table is None:
        return []
    sql = f"select * from t where as_of_date = DATE '{as_of.isoformat()}'" + (f" and {where}" if where else "")
    return lake.query({"t": table}, sql).to_pylist()


def episode_filter(as_of: date, since: date | None, lookback_days: int) -> str:
    """The account_health rows of ``as_of`` to tell: the episodes that start on the date; for an email that
    covers the dates from ``since`` on (a catch-up after days without one), the accounts still Critical whose
    episode started on one of those dates. An episode is traced back ``lookback_days`` only, so one Critical
    over the whole trace has no known start and is left out (it may have been told before the gap)."""
    if since is None or since >= as_of:
        return "is_new_critical"
    known = max(since, as_of - timedelta(days=lookback_days - 1))
    return f"health_class = 'Critical' and critical_since >= DATE '{known.isoformat()}'"


def read_critical(
    lake_root: str, as_of: date, since: date | None = None, lookback_days: int = 14
) -> list[CriticalAccount]:
    """The accounts whose Critical episode starts on ``as_of`` (or, with ``since``, on a date from ``since`` to
    ``as_of`` and still Critical), most value at risk first."""
    health = _rows(lake_root, "account_health", as_of, episode_filter(as_of, since, lookback_days))
    if not health:
        return []
    churn = {r["account_id"]: r for r in _rows(lake_root, "account_churn_risk", as_of)}
    clv = {r["account_id"]: r for r in _rows(lake_root, "account_clv", as_of)}
    found = []
    for r in health:
        account = str(r["account_id"])
        risk, value = churn.get(account, {}), clv.get(account, {})
        found.append(
            CriticalAccount(
                account_id=account,
                account_name=str(r.get("account_name") or account),
                segment=str(r.get("segment") or ""),
                rfm_segment=str(r.get("rfm_segment") or ""),
                district=str(r.get("district") or ""),
                state=str(r.get("state") or ""),
                health_score=float(r.get("health_score") or 0.0),  # type: ignore[arg-type]
                factors=tuple(f for f in str(r.get("factors") or "").split("; ") if f),
                intervention=str(r.get("intervention") or ""),
                churn_probability=risk.get("churn_probability"),  # type: ignore[arg-type]
                clv=value.get("clv"),  # type: ignore[arg-type]
            )
        )
    found.sort(key=lambda a: (-a.value_at_risk, a.health_score, a.account_id))
    return found


def for_plan(accounts: list[CriticalAccount], plan: MessagePlan) -> list[CriticalAccount]:
    """Leadership gets every account; a district manager the accounts of their districts (plan.scope)."""
    if plan.alert_type == LEADERSHIP:
        return list(accounts)
    wanted = {d.strip().casefold() for d in plan.scope.split(",")}
    return [a for a in accounts if a.district.casefold() in wanted]
