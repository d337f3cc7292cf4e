"""The daily leadership email's KPI anomalies section (docs/kpi.md): at most ``alert.kpi_anomalies.top_n`` new
episodes of kpi_anomalies, largest gap first, each once (on its episode's first day).

An anomaly whose gap is mostly one child that is itself a new anomaly of the same KPI and direction (a state
whose drop is one district's) is told by that child and left out, so that three lines tell three stories.
Reading is delta-rs (no Spark); a lake without the table gives an empty section, never an error.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from ground import lake
from ground.catalogue import GOLD_TABLES
from ground.config import Config
from ground.errors import ConfigError

TABLE = "kpi_anomalies"
SEVERITY_COLOURS = {  # text, background: high red, medium amber, low grey (the label is printed too)
    "high": ("#b42318", "#fee4e2"),
    "medium": ("#93370d", "#fef0c7"),
    "low": ("#475467", "#eaecf0"),
}


@dataclass(frozen=True)
class AnomalyLine:
    severity: str
    colour: str
    background: str
    sentence: str


@dataclass(frozen=True)
class AnomalySection:
    lines: tuple[AnomalyLine, ...] = ()
    ongoing: int = 0  # anomalies raised on earlier days and still active (not repeated)

    @property
    def ongoing_note(self) -> str:
        if not self.ongoing:
            return ""
        return (
            f"{self.ongoing} KPI anomal{'y' if self.ongoing == 1 else 'ies'} raised earlier still active (in the app)."
        )


def top_n(config: Config) -> int:
    """``alert.kpi_anomalies.top_n`` (conf/base/alert.yaml), validated."""
    raw = config.section("alert").get("kpi_anomalies") or {}
    unknown = sorted(set(raw) - {"top_n"})
    if unknown:
        raise ConfigError(f"alert.kpi_anomalies.{unknown[0]}: unknown key (a typo?)")
    value = raw.get("top_n", 3)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ConfigError(f"alert.kpi_anomalies.top_n must be a whole number of at least 0, got {value!r}")
    return value


def read_rows(lake_root: str, as_of: date) -> list[dict[str, Any]]:
    """The anomaly rows of ``as_of`` (none when the table does not exist yet)."""
    table = lake.open_table(GOLD_TABLES[TABLE].location(lake_root))
    if table is None:
        return []
    where = f"as_of_date = DATE '{as_of.isoformat()}'"
    return lake.query({"t": table}, f"select * from t where {where}").to_pylist()  # type: ignore[no-any-return]


def _told_by_child(row: dict[str, Any], new: list[dict[str, Any]]) -> bool:
    top = (row.get("contributors") or "").split("; ")[0]
    return any(
        other is not row
        and other["kpi"] == row["kpi"]
        and other["direction"] == row["direction"]
        and other["member"] == top
        for other in new
    )


def section(rows: list[dict[str, Any]], limit: int) -> AnomalySection:
    """The new episodes, largest gap first (the table's rank), less those a new child tells, at most ``limit``."""
    new = [r for r in rows if r.get("is_new")]
    shown = sorted((r for r in new if not _told_by_child(r, new)), key=lambda r: (r["rank"], r["anomaly_id"]))
    lines = tuple(
        AnomalyLine(str(r["severity"]), *SEVERITY_COLOURS.get(str(r["severity"]), SEVERITY_COLOURS["low"]),
                    sentence=" ".join(str(r["sentence"]).split()))
        for r in shown[:limit]
    )  # fmt: skip
    return AnomalySection(lines, ongoing=sum(1 for r in rows if not r.get("is_new")))
