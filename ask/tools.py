"""The fixed catalogue of questions the lakehouse answers: parameterised reads of the gold tables (delta-rs), each
returning aggregates or ids only, never a customer's name or phone. A model may choose among them (tool calls)
and fill in their parameters; it never writes a query and never sees a silver row. Every tool is also a guided
question a person can pick without a model.

The reader's scope is applied inside every tool: a manager's tools see their district only, whatever the
arguments say.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pyarrow as pa

from ground.catalogue import GOLD_TABLES, OPS_TABLES
from ground.lake import open_table, query

STATUSES = ("HOTSPOT", "EMERGING", "STABLE", "NOISE")
WIN_RATE_DIMENSIONS = ("region", "district", "dealer", "rep", "product_line", "lead_source", "customer_type")
MAX_ROWS = 20


class MissingTable(LookupError):
    """A table a catalogue question reads is not in the lake (yet)."""

    def __init__(self, table: str) -> None:
        super().__init__(table)
        self.table = table


class ToolError(ValueError):
    """The arguments are not ones this tool takes, or reach outside the reader's scope."""


@dataclass(frozen=True)
class Reader:
    """Who is asking: a manager reads one district (``district``), a leader everything (None)."""

    role: str
    district: str | None = None

    def district_for(self, asked: str | None) -> str | None:
        """The district a tool reads: the manager's own, refusing another; the asked one (or all) for a leader."""
        if self.district is None:
            return asked or None
        if asked and asked.strip().lower() != self.district.lower():
            raise ToolError(f"outside your scope: you see district {self.district}, not {asked}")
        return self.district


@dataclass
class ToolResult:
    tool: str
    title: str
    columns: list[str]
    rows: list[dict[str, Any]]
    tables: list[str]  # the gold tables read
    as_of: date | None = None
    note: str = ""
    arguments: dict[str, Any] = field(default_factory=dict)

    def for_model(self) -> dict[str, Any]:
        """What the model sees: the title, the date, the tables and the rows (aggregates and ids only)."""
        return {
            "tool": self.tool,
            "title": self.title,
            "as_of_date": self.as_of.isoformat() if self.as_of else None,
            "tables": self.tables,
            "note": self.note,
            "rows": [{c: _plain(r.get(c)) for c in self.columns} for r in self.rows],
        }


def _plain(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 3)
    if isinstance(value, date):
        return value.isoformat()
    return value


@dataclass(frozen=True)
class Parameter:
    name: str
    kind: str  # string | integer | date
    description: str
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class Tool:
    name: str
    description: str  # for the model
    question: str  # the guided question a person picks
    parameters: tuple[Parameter, ...]
    run: Callable[[str, Reader, dict[str, Any]], ToolResult]

    def schema(self) -> dict[str, Any]:
        """The OpenAI function-calling schema of the tool."""
        properties: dict[str, Any] = {}
        for p in self.parameters:
            spec: dict[str, Any] = {"type": "string" if p.kind == "date" else p.kind, "description": p.description}
            if p.choices:
                spec["enum"] = list(p.choices)
            properties[p.name] = spec
        parameters = {"type": "object", "properties": properties, "additionalProperties": False}
        return {
            "type": "function",
            "function": {"name": self.name, "description": self.description, "parameters": parameters},
        }

    def arguments(self, raw: dict[str, Any]) -> dict[str, Any]:
        """The arguments checked against the tool's parameters (ToolError on anything else)."""
        known = {p.name: p for p in self.parameters}
        unknown = sorted(set(raw) - set(known))
        if unknown:
            raise ToolError(f"{self.name} takes no {', '.join(unknown)}")
        checked: dict[str, Any] = {}
        for name, value in raw.items():
            if value is None or value == "":
                continue
            p = known[name]
            if p.kind == "integer":
                if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).isdigit():
                    raise ToolError(f"{name} must be a whole number, got {value!r}")
                checked[name] = min(int(value), MAX_ROWS)
            elif p.kind == "date":
                try:
                    checked[name] = date.fromisoformat(str(value))
                except ValueError as exc:
                    raise ToolError(f"{name} must be a date YYYY-MM-DD, got {value!r}") from exc
            else:
                text = str(value).strip()
                if p.choices and text not in p.choices:
                    raise ToolError(f"{name} must be one of {', '.join(p.choices)}, got {value!r}")
                if len(text) > 80:
                    raise ToolError(f"{name} is too long")
                checked[name] = text
        return checked


# ------------------------------------------------------------------------------------------- reading gold
def _sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _latest(table_name: str, lake_root: str, location: str | None = None) -> date | None:
    table = open_table(location or GOLD_TABLES[table_name].location(lake_root))
    if table is None:
        return None
    value = query({"t": table}, "select max(as_of_date) as d from t").column("d")[0].as_py()
    return value  # type: ignore[no-any-return]


def _open(lake_root: str, table_name: str, location: str | None = None) -> Any:
    """The gold table (or the one at ``location``); MissingTable when it is not in the lake."""
    table = open_table(location or GOLD_TABLES[table_name].location(lake_root))
    if table is None:
        raise MissingTable(table_name)
    return table


def _read(lake_root: str, table_name: str, sql: str, location: str | None = None) -> list[dict[str, Any]]:
    result: pa.Table = query({"t": _open(lake_root, table_name, location)}, sql)
    return result.to_pylist()


def _date_clause(lake_root: str, table_name: str, asked: date | None) -> tuple[date | None, str]:
    day = asked or _latest(table_name, lake_root)
    return day, (f"as_of_date = DATE '{day.isoformat()}'" if day else "false")


def _district_clause(district: str | None) -> str:
    return f" and lower(district) = lower({_sql_text(district)})" if district else ""


def hotspots(lake_root: str, reader: Reader, args: dict[str, Any]) -> ToolResult:
    district = reader.district_for(args.get("district"))
    day, when = _date_clause(lake_root, "macro_market_hotspot_taluka_5d", args.get("date"))
    status = args.get("status")
    status_clause = f" and status = {_sql_text(status)}" if status else " and status in ('HOTSPOT', 'EMERGING')"
    rows = _read(
        lake_root,
        "macro_market_hotspot_taluka_5d",
        "select taluka, district, state, status, dealer_count as dealers, leads_cur as leads, "
        "leads_prev as leads_previous_window, cast(round(lead_growth * 100) as bigint) as lead_growth_pct, "
        "hi_leads_cur as high_intent_leads, retail_cur as retail_units, saleable_stock, "
        "round(expected_leads, 1) as expected_leads, has_supply_gap "
        f"from t where {when}{status_clause}{_district_clause(district)} "
        "order by case status when 'HOTSPOT' then 0 when 'EMERGING' then 1 when 'STABLE' then 2 else 3 end, "
        f"leads_cur desc, taluka limit {int(args.get('limit', 10))}",
    )
    columns = [
        "taluka", "district", "status", "leads", "leads_previous_window", "lead_growth_pct", "expected_leads",
        "high_intent_leads", "retail_units", "saleable_stock", "has_supply_gap",
    ]  # fmt: skip
    title = f"Talukas {'with status ' + status if status else 'rising (HOTSPOT, EMERGING)'}"
    return ToolResult("hotspots", title + (f" in {district}" if district else ""), columns, rows,
                      ["macro_market_hotspot_taluka_5d"], day)  # fmt: skip


def retail_change(lake_root: str, reader: Reader, args: dict[str, Any]) -> ToolResult:
    """Retail in the current window against the previous one, per taluka, the biggest falls first."""
    district = reader.district_for(args.get("district"))
    day, when = _date_clause(lake_root, "macro_market_hotspot_taluka_5d", args.get("date"))
    rows = _read(
        lake_root,
        "macro_market_hotspot_taluka_5d",
        "select taluka, district, retail_cur as retail_units, retail_prev as retail_units_previous_window, "
        "retail_cur - retail_prev as change, saleable_stock, hi_leads_cur as high_intent_leads "
        f"from t where {when}{_district_clause(district)} "
        f"order by retail_cur - retail_prev, taluka limit {int(args.get('limit', 10))}",
    )
    totals = _read(
        lake_root,
        "macro_market_hotspot_taluka_5d",
        "select sum(retail_cur) as retail_units, sum(retail_prev) as retail_units_previous_window "
        f"from t where {when}{_district_clause(district)}",
    )
    total = totals[0] if totals else {}
    note = (
        f"all talukas together: {total.get('retail_units') or 0} retail units against "
        f"{total.get('retail_units_previous_window') or 0} in the previous window"
    )
    columns = ["taluka", "district", "retail_units", "retail_units_previous_window", "change", "saleable_stock",
               "high_intent_leads"]  # fmt: skip
    title = "Retail units, current window against the previous one" + (f", {district}" if district else "")
    return ToolResult("retail_change", title, columns, rows, ["macro_market_hotspot_taluka_5d"], day, note)


def followups(lake_root: str, reader: Reader, args: dict[str, Any]) -> ToolResult:
    """Dealers by open leads whose promised follow-up is overdue (ids and counts, no customer)."""
    district = reader.district_for(args.get("district"))
    day = _latest("scv_customer_score", lake_root)
    rows = _read(
        lake_root,
        "scv_customer_score",
        "select dealer_code as dealer, district, count(*) as open_leads, "
        "sum(case when next_followup_date < as_of_date then 1 else 0 end) as overdue_followups, "
        "sum(case when last_contact_date is null then 1 else 0 end) as never_contacted, "
        "cast(round(avg(total_score)) as bigint) as average_score "
        f"from t where true{_district_clause(district)} group by dealer_code, district "
        f"order by overdue_followups desc, dealer_code limit {int(args.get('limit', 10))}",
    )
    columns = ["dealer", "district", "open_leads", "overdue_followups", "never_contacted", "average_score"]
    title = "Dealers by overdue follow-ups" + (f" in {district}" if district else "")
    return ToolResult("overdue_followups", title, columns, rows, ["scv_customer_score"], day)


def win_rates(lake_root: str, reader: Reader, args: dict[str, Any]) -> ToolResult:
    district = reader.district_for(args.get("district"))
    dimension = args.get("dimension", "district")
    day, when = _date_clause(lake_root, "win_rate_by_segment", args.get("date"))
    scope = _district_clause(district) if district and dimension != "district" else ""
    if district and dimension == "district":
        scope = f" and lower(segment) = lower({_sql_text(district)})"
    rows = _read(
        lake_root,
        "win_rate_by_segment",
        "select segment, closed, won, cast(round(win_rate * 100) as bigint) as win_rate_pct, "
        "cast(round(prior_win_rate * 100) as bigint) as prior_win_rate_pct, "
        "cast(round(change_points) as bigint) as change_points, window_days "
        f"from t where {when} and dimension = {_sql_text(dimension)} and is_reportable{scope} "
        f"and window_days = (select min(window_days) from t) order by closed desc, segment "
        f"limit {int(args.get('limit', 10))}",
    )
    columns = ["segment", "closed", "won", "win_rate_pct", "prior_win_rate_pct", "change_points", "window_days"]
    title = f"Win rate by {dimension.replace('_', ' ')}" + (f" in {district}" if district else "")
    return ToolResult("win_rates", title, columns, rows, ["win_rate_by_segment"], day)


def win_rate_alerts(lake_root: str, reader: Reader, args: dict[str, Any]) -> ToolResult:
    district = reader.district_for(args.get("district"))
    day, when = _date_clause(lake_root, "win_rate_driver_alerts", args.get("date"))
    rows = _read(
        lake_root,
        "win_rate_driver_alerts",
        "select rank, kind, sentence, closed, cast(round(impact_deals) as bigint) as deals_lost, episode_start "
        f"from t where {when}{_district_clause(district)} order by rank limit {int(args.get('limit', 5))}",
    )
    columns = ["rank", "kind", "sentence", "closed", "deals_lost", "episode_start"]
    title = "What drives wins and losses" + (f" in {district}" if district else "")
    return ToolResult("win_rate_alerts", title, columns, rows, ["win_rate_driver_alerts"], day)


def kpi_anomalies(lake_root: str, reader: Reader, args: dict[str, Any]) -> ToolResult:
    """The KPI anomalies of a date, ranked, each with its root cause in one sentence."""
    district = reader.district_for(args.get("district"))
    day, when = _date_clause(lake_root, "kpi_anomalies", args.get("date"))
    rows = _read(
        lake_root,
        "kpi_anomalies",
        "select rank, kpi, level, member, direction, severity, days_active, "
        "cast(round(gap_share * 100) as bigint) as gap_pct, contributors, sentence "
        f"from t where {when}{_district_clause(district)} order by rank limit {int(args.get('limit', 5))}",
    )
    columns = ["rank", "kpi", "level", "member", "direction", "severity", "days_active", "gap_pct", "contributors",
               "sentence"]  # fmt: skip
    title = "KPIs off their forecast, and why" + (f" in {district}" if district else "")
    return ToolResult("kpi_anomalies", title, columns, rows, ["kpi_anomalies"], day)


KPI_LEVELS_ASKED = ("company", "state", "district", "dealer", "product_line")


def kpi_targets(lake_root: str, reader: Reader, args: dict[str, Any]) -> ToolResult:
    """Month to date against target, the run rate and the active reps, per member of a level."""
    district = reader.district_for(args.get("district"))
    level = args.get("level") or ("district" if district else "company")
    if reader.district is not None and level not in ("district", "dealer"):
        raise ToolError(f"outside your scope: you see district {reader.district}, by district or by dealer")
    day, when = _date_clause(lake_root, "kpi_daily", args.get("date"))
    rows = _read(
        lake_root,
        "kpi_daily",
        "select member, district, mtd_retail_units, cast(round(mtd_target_units) as bigint) as mtd_target_units, "
        "cast(round(target_attainment * 100) as bigint) as target_attainment_pct, "
        "cast(round(run_rate_units) as bigint) as run_rate_units, target_units, "
        "cast(round(run_rate_vs_target * 100) as bigint) as run_rate_vs_target_pct, "
        "cast(round(active_reps_ratio * 100) as bigint) as active_reps_pct, top_mover_product_line "
        f"from t where {when} and level = {_sql_text(level)}{_district_clause(district)} "
        f"order by target_attainment nulls last, member limit {int(args.get('limit', 10))}",
    )
    columns = ["member", "mtd_retail_units", "mtd_target_units", "target_attainment_pct", "run_rate_units",
               "target_units", "run_rate_vs_target_pct", "active_reps_pct", "top_mover_product_line"]  # fmt: skip
    title = f"Retail against target by {level.replace('_', ' ')}" + (f" in {district}" if district else "")
    return ToolResult("kpi_targets", title, columns, rows, ["kpi_daily"], day)


def accounts_at_risk(lake_root: str, reader: Reader, args: dict[str, Any]) -> ToolResult:
    """Accounts by health, the weakest first, with the churn probability, the top factors and what to do
    (account ids, never names)."""
    district = reader.district_for(args.get("district"))
    day, when = _date_clause(lake_root, "account_health", args.get("date"))
    health, risk = _open(lake_root, "account_health"), _open(lake_root, "account_churn_risk")
    segment = args.get("segment")
    segment_clause = f" and lower(h.segment) = lower({_sql_text(segment)})" if segment else ""
    district_clause = f" and lower(h.district) = lower({_sql_text(district)})" if district else ""
    sql = (
        "select h.account_id, h.segment, h.district, h.dealer_code as dealer, "
        "cast(round(h.health_score) as bigint) as health_score, h.health_class, "
        "cast(round(r.churn_probability * 100) as bigint) as churn_risk_pct, h.recency_days, h.factors, "
        "h.intervention from h left join r on r.as_of_date = h.as_of_date and r.account_id = h.account_id "
        f"where h.{when}{district_clause}{segment_clause} "
        f"order by health_score, account_id limit {int(args.get('limit', 10))}"
    )
    rows = query({"h": health, "r": risk}, sql).to_pylist()
    columns = ["account_id", "segment", "district", "dealer", "health_score", "health_class", "churn_risk_pct",
               "recency_days", "factors", "intervention"]  # fmt: skip
    title = "Accounts at risk, the weakest first" + (f" in {district}" if district else "")
    return ToolResult("accounts_at_risk", title, columns, rows, ["account_health", "account_churn_risk"], day)


def night_status(lake_root: str, reader: Reader, args: dict[str, Any]) -> ToolResult:
    location = OPS_TABLES["nights"].location(lake_root)
    rows = _read(
        lake_root,
        "ops/nights",
        "select as_of_date, status, message from (select *, row_number() over (partition by as_of_date "
        "order by finished_at desc) as latest from t) as ranked where latest = 1 "
        f"order by as_of_date desc limit {int(args.get('limit', 7))}",
        location=location,
    )
    return ToolResult("night_status", "The last nights and their verdicts", ["as_of_date", "status", "message"],
                      rows, ["ops/nights"], rows[0]["as_of_date"] if rows else None)  # fmt: skip


DISTRICT = Parameter("district", "string", "a district name, as in the data; leave out for all the reader may see")
DATE = Parameter("date", "date", "the as-of date YYYY-MM-DD; leave out for the latest")
LIMIT = Parameter("limit", "integer", f"how many rows (at most {MAX_ROWS})")

CATALOGUE: dict[str, Tool] = {
    t.name: t
    for t in (
        Tool(
            "hotspots",
            "Talukas (sub-districts) whose demand is rising (HOTSPOT, EMERGING) or of a given status, with leads, "
            "growth, the expected leads, high-intent leads, retail and stock.",
            "Which talukas are hot right now?",
            (DISTRICT, DATE, Parameter("status", "string", "one status only", STATUSES), LIMIT),
            hotspots,
        ),
        Tool(
            "retail_change",
            "Retail units per taluka in the current window against the previous one, the biggest falls first, "
            "with stock and high-intent leads; answers why retail fell or rose in a district.",
            "Where did retail fall?",
            (DISTRICT, DATE, LIMIT),
            retail_change,
        ),
        Tool(
            "overdue_followups",
            "Dealers ranked by open leads whose promised follow-up is overdue, with never-contacted leads and "
            "the average priority score (dealer ids and counts only).",
            "Which dealers have the most overdue follow-ups?",
            (DISTRICT, LIMIT),
            followups,
        ),
        Tool(
            "win_rates",
            "Win rate of closed deals by a dimension (region, district, dealer, rep, product line, lead source, "
            "customer type) in the latest window, with the prior window's rate and the change in points.",
            "How do win rates compare?",
            (Parameter("dimension", "string", "what to compare", WIN_RATE_DIMENSIONS), DISTRICT, DATE, LIMIT),
            win_rates,
        ),
        Tool(
            "win_rate_alerts",
            "The ranked driver alerts of wins and losses: plain sentences with their numbers (a falling "
            "district, a weak lead source, a product losing to a competitor, an erratic rep, a mix shift).",
            "What drives our wins and losses?",
            (DISTRICT, DATE, LIMIT),
            win_rate_alerts,
        ),
        Tool(
            "kpi_anomalies",
            "KPIs (leads, bookings, retail units or value) off their forecast interval for days, ranked, each with "
            "its root cause: the dealers or product lines that explain most of the gap, in one sentence.",
            "Which KPIs are off forecast, and why?",
            (DISTRICT, DATE, LIMIT),
            kpi_anomalies,
        ),
        Tool(
            "kpi_targets",
            "Retail units month to date against target, the run rate for the month against its target, the "
            "share of reps active and the top product mover, by company, state, district, dealer or product line.",
            "Are we on track for the month's target?",
            (Parameter("level", "string", "compare by", KPI_LEVELS_ASKED), DISTRICT, DATE, LIMIT),
            kpi_targets,
        ),
        Tool(
            "accounts_at_risk",
            "Repeat-buying accounts (fleets, institutions) by health, the weakest first: health score and class, "
            "the probability of no purchase in the churn horizon, days since the last purchase, the top factors "
            "and the recommended intervention (account ids, never names).",
            "Which accounts are at risk?",
            (DISTRICT, Parameter("segment", "string", "an account segment: Fleet or Institutional"), DATE, LIMIT),
            accounts_at_risk,
        ),
        Tool(
            "night_status",
            "The last nightly runs' verdicts: complete, incomplete (what was missing) or failed.",
            "Is the data complete?",
            (LIMIT,),
            night_status,
        ),
    )
}


def run_tool(name: str, raw_arguments: dict[str, Any], lake_root: str, reader: Reader) -> ToolResult:
    """Run a catalogue tool for the reader; ToolError for a name or arguments the catalogue does not have."""
    tool = CATALOGUE.get(name)
    if tool is None:
        raise ToolError(f"{name!r} is not a question this lakehouse answers ({', '.join(CATALOGUE)})")
    arguments = tool.arguments(raw_arguments)
    try:
        result = tool.run(lake_root, reader, arguments)
    except MissingTable as missing:
        note = f"{missing.table} is not in the lake at {lake_root} yet: no nightly run has built it"
        result = ToolResult(name, tool.question.rstrip("?"), [], [], [missing.table], note=note)
    result.arguments = {k: _plain(v) for k, v in arguments.items()}
    return result
