"""Gold: the declared graph. Each table says what it reads (``inputs``: silver tables, shared views, other gold
tables), where its logic lives (``sql/gold/<name>.sql`` or ``gold/<name>.py``), its key, partitioning and
checks. The runner (``gold.graph``) orders the graph from ``inputs``; nothing else lists the tables.

Every SQL table is as-of dated: its rows for the run's dates replace the previous ones. An input may also be a
table the field app writes (``ground/catalogue/app.py``: ``lead_actions``). Besides the inputs,
the logic may read the run's ``as_of_dates(as_of_date)`` and ``high_intent_classes(lead_classification)``.
"""

from __future__ import annotations

from ground.catalogue.silver import OPEN_STAGES
from ground.catalogue.table import Table, View, between, cols, in_set, not_null

HOTSPOT_STATUSES = ("NOISE", "HOTSPOT", "EMERGING", "STABLE")

_WINDOW_MEASURES = (
    "leads_cur bigint, leads_prev bigint, lead_growth double, "
    "hi_leads_cur bigint, hi_leads_prev bigint, hi_lead_growth double, "
    "retail_cur bigint, retail_prev bigint, retail_growth double, "
    "total_stock bigint, saleable_stock bigint"
)

VIEWS = [
    View(
        "opportunity_versions",
        inputs=("customer_pipeline_history",),
        description="Every version of every opportunity with the dates it was the known state: the version "
        "as known at the end of day d is the one with known_from_date <= d < known_until_date.",
        staged=True,
    ),
]

TABLES = [
    Table(
        "dealer_geo",
        "gold",
        cols(
            "as_of_date date, dealer_code string, taluka string, district string, state string, "
            "last_activity_at timestamp, region string, location_origin string"
        ),
        key=("as_of_date", "dealer_code"),
        partition_by=("as_of_date",),
        description="Each dealer's place: from the dealer master where it has one, else from the dealer's most "
        "recent C0-C3 pipeline activity (location_origin says which).",
        checks=(in_set("location_origin", ("dealer_master", "pipeline")),),
        inputs=("customer_pipeline_history", "dealers"),
    ),
    Table(
        "dealer_leads_5d",
        "gold",
        cols(
            "as_of_date date, dealer_code string, leads_cur bigint, leads_prev bigint, lead_growth double, "
            "hi_leads_cur bigint, hi_leads_prev bigint, hi_lead_growth double"
        ),
        key=("as_of_date", "dealer_code"),
        partition_by=("as_of_date",),
        description="Leads and high-intent leads created in the current vs the previous window.",
        inputs=("opportunity_versions",),
    ),
    Table(
        "dealer_retail_5d",
        "gold",
        cols("as_of_date date, dealer_code string, retail_cur bigint, retail_prev bigint, retail_growth double"),
        key=("as_of_date", "dealer_code"),
        partition_by=("as_of_date",),
        description="Retail units in the current vs the previous window.",
        inputs=("retail",),
    ),
    Table(
        "dealer_stock",
        "gold",
        cols("as_of_date date, dealer_code string, snapshot_date date, total_stock bigint, saleable_stock bigint"),
        key=("as_of_date", "dealer_code"),
        partition_by=("as_of_date",),
        description="Total and saleable stock from each dealer's latest snapshot on or before the date.",
        inputs=("stock",),
    ),
    Table(
        "dealer_market_features_5d",
        "gold",
        cols("as_of_date date, dealer_code string, taluka string, district string, state string, " + _WINDOW_MEASURES),
        key=("as_of_date", "dealer_code"),
        partition_by=("as_of_date",),
        description="One row of demand and supply signals per dealer.",
        checks=(not_null("taluka"), between("leads_cur", 0), between("lead_growth", -1)),
        inputs=("dealer_geo", "dealer_leads_5d", "dealer_retail_5d", "dealer_stock"),
    ),
    Table(
        "taluka_daily_leads",
        "gold",
        cols("as_of_date date, state string, district string, taluka string, lead_date date, leads bigint"),
        key=("as_of_date", "state", "district", "taluka", "lead_date"),
        partition_by=("as_of_date",),
        description="Leads created per taluka and day over the hotspot detector's look-back, as known on the "
        "as-of date (days without a lead have no row).",
        checks=(between("leads", 1),),
        inputs=("opportunity_versions", "dealer_geo"),
    ),
    Table(
        "taluka_lead_surveillance",
        "gold",
        cols(
            "as_of_date date, state string, district string, taluka string, recent_leads bigint, "
            "baseline_leads bigint, baseline_share double, expected_leads double, lead_dispersion double, "
            "upper_leads double, surge_score double, surge_days int, is_surge boolean"
        ),
        key=("as_of_date", "state", "district", "taluka"),
        partition_by=("as_of_date",),
        description="The surge detector: recent leads against the upper prediction bound of what the taluka's "
        "own history and the market explain.",
        checks=(
            between("recent_leads", 0),
            between("expected_leads", 0),
            between("lead_dispersion", 1),
            between("surge_days", 0),
            not_null("is_surge"),
        ),
        inputs=("taluka_daily_leads",),
    ),
    Table(
        "macro_market_hotspot_taluka_5d",
        "gold",
        cols(
            "as_of_date date, state string, district string, taluka string, dealer_count bigint, "
            + _WINDOW_MEASURES
            + ", market_lead_growth double, lead_z double, recent_leads bigint, expected_leads double, "
            "upper_leads double, lead_dispersion double, surge_score double, is_surge boolean, "
            "has_supply_gap boolean, status string"
        ),
        key=("as_of_date", "state", "district", "taluka"),
        partition_by=("as_of_date",),
        description="Taluka signals and status NOISE / HOTSPOT / EMERGING / STABLE.",
        checks=(
            in_set("status", HOTSPOT_STATUSES),
            between("dealer_count", 1),
            between("lead_growth", -1),
            between("hi_leads_cur", 0),
            not_null("is_surge"),
        ),
        inputs=("dealer_market_features_5d", "taluka_lead_surveillance"),
    ),
    Table(
        "district_top3_talukas",
        "gold",
        cols(
            "as_of_date date, state string, district string, rank int, taluka string, status string, "
            "dealer_count bigint, leads_cur bigint, lead_growth double, hi_leads_cur bigint, "
            "hi_lead_growth double, retail_cur bigint, saleable_stock bigint, has_supply_gap boolean"
        ),
        key=("as_of_date", "state", "district", "rank"),
        partition_by=("as_of_date",),
        description="The most actionable talukas per district: status first, then lead volume.",
        checks=(between("rank", 1), in_set("status", HOTSPOT_STATUSES)),
        inputs=("macro_market_hotspot_taluka_5d",),
    ),
    Table(
        "scv_customer_score",
        "gold",
        cols(
            "opty_id string, as_of_date date, dealer_code string, taluka string, district string, "
            "state string, customer_name string, customer_phone string, product_line string, "
            "stage string, lead_classification string, opty_category string, customer_type string, "
            "created_date date, expected_closure_date date, last_contact_date date, "
            "days_since_last_contact int, next_followup_date date, connected_calls bigint, "
            "avg_connected_duration_s double, saleable_stock bigint, "
            "score_lead_age double, score_expected_closure double, score_opty_category double, "
            "score_lead_classification double, score_customer_type double, score_followup double, "
            "score_engagement double, score_stock double, total_score double, rank_in_dealer int, "
            "reason_codes array<string>, reasons array<string>, next_best_action string, "
            "weights_version string, scored_at timestamp, win_probability double, win_horizon_days int, "
            "account_id string"  # account_id: docs/accounts.md
        ),
        key=("opty_id",),
        description="Priority score of every open opportunity as of the latest scored date "
        "(features in sql/gold/scv_customer_score.sql, score in gold/scv_customer_score.py).",
        checks=(
            between("total_score", 0, 100),
            between("rank_in_dealer", 1),
            between("win_probability", 0, 1),
            in_set("stage", OPEN_STAGES),
            not_null("next_best_action"),
            not_null("customer_phone", "warn"),
        ),
        inputs=("opportunity_versions", "call_log", "stock", "lead_actions"),
        logic="python",
    ),
    Table(
        "scv_customer_score_history",
        "gold",
        cols(
            "as_of_date date, opty_id string, dealer_code string, total_score double, "
            "rank_in_dealer int, weights_version string, "
            "score_lead_age double, score_expected_closure double, score_opty_category double, "
            "score_lead_classification double, score_customer_type double, score_followup double, "
            "score_engagement double, score_stock double, win_probability double"
        ),
        key=("as_of_date", "opty_id"),
        partition_by=("as_of_date",),
        description="Scores kept on snapshot dates only (scoring.history_every_days) for backtests; the "
        "component scores let scv calibrate fit their weights.",
        inputs=("scv_customer_score",),
        logic="python",
        built_by="scv_customer_score",
    ),
]

# --- win-rate intelligence (docs/win-rate.md) -------------------------------------------------------------

WIN_RATE_DIMENSIONS = (
    "overall", "region", "district", "dealer", "rep", "product_line", "lead_source", "customer_type", "enquiry_type",
)  # fmt: skip
DRIVER_ALERT_KINDS = ("drop", "below_parent", "competitor", "erratic", "mix")

VIEWS += [
    View(
        "closed_deals",
        inputs=("customer_pipeline_history", "dealers"),
        description="Every opportunity that closed (Won or Lost) in the run's reach, as it was when it closed: "
        "the stage it reached, the dates it entered each stage, its cycle, value, lost reason and competitor, "
        "whether it counts in a win rate (win_rate.min_stage), and the date of the first enquiry in the data.",
        staged=True,
    ),
    View(
        "win_rate_daily",
        inputs=("closed_deals",),
        description="The deals that count in a win rate, per dimension, segment (with its parent) and closed "
        "date: closed, won, won value, won cycle days. Every win-rate table sums these over its windows.",
        staged=True,
    ),
    View(
        "win_rate_counts",
        inputs=("win_rate_daily",),
        description="Closed and won deals per as-of date, window and segment, in the window and its prior "
        "(differences of running totals); win_rate_by_segment and the driver alerts' trailing dates read it.",
        staged=True,
    ),
]

TABLES += [
    Table(
        "win_rate_by_segment",
        "gold",
        cols(
            "as_of_date date, window_days int, dimension string, segment string, parent_dimension string, "
            "parent_segment string, state string, district string, closed bigint, won bigint, win_rate double, "
            "win_rate_low double, win_rate_high double, parent_win_rate double, prior_deals double, "
            "win_rate_shrunk double, prior_days int, prior_closed bigint, prior_won bigint, prior_win_rate double, "
            "prior_win_rate_shrunk double, change_points double, parent_change_points double, change_z double, "
            "prob_decline double, "
            "is_comparable boolean, is_reportable boolean, won_value double, avg_deal_value double, "
            "avg_cycle_days double, prior_avg_deal_value double, prior_avg_cycle_days double"
        ),
        key=("as_of_date", "window_days", "dimension", "segment"),
        partition_by=("as_of_date",),
        description="Win rate per segment and trailing window of closed deals: Wilson interval, shrunk toward "
        "the parent segment (empirical Bayes), the prior window's rate, the change and how sure it is.",
        checks=(
            in_set("dimension", WIN_RATE_DIMENSIONS),
            between("win_rate", 0, 1),
            between("win_rate_shrunk", 0, 1),
            between("prob_decline", 0, 1),
            between("closed", 0),
        ),
        inputs=("win_rate_counts",),
    ),
    Table(
        "funnel_stage_conversion",
        "gold",
        cols(
            "as_of_date date, dimension string, segment string, state string, district string, window_days int, "
            "deals bigint, reached_c1 bigint, reached_c2 bigint, reached_c3 bigint, won bigint, "
            "c0_to_c1 double, c1_to_c2 double, c2_to_c3 double, c3_to_won double, c0_to_won double, "
            "median_days_c0_c1 double, p75_days_c0_c1 double, median_days_c1_c2 double, p75_days_c1_c2 double, "
            "median_days_c2_c3 double, p75_days_c2_c3 double, median_days_c3_won double, p75_days_c3_won double, "
            "median_days_to_win double, p75_days_to_win double"
        ),
        key=("as_of_date", "dimension", "segment"),
        partition_by=("as_of_date",),
        description="C0 -> C1 -> C2 -> C3 -> won per segment over the deals closed in the funnel window, with "
        "median and 75th-percentile days per stage.",
        checks=(in_set("dimension", WIN_RATE_DIMENSIONS), between("c0_to_won", 0, 1), between("deals", 1)),
        inputs=("closed_deals",),
    ),
    Table(
        "sales_velocity",
        "gold",
        cols(
            "as_of_date date, dimension string, segment string, state string, district string, "
            "open_deals bigint, open_value double, win_rate double, avg_deal_value double, avg_cycle_days double, "
            "value_per_day double, deals_per_day double, prior_open_deals bigint, prior_value_per_day double, "
            "prior_deals_per_day double, change double, trend string"
        ),
        key=("as_of_date", "dimension", "segment"),
        partition_by=("as_of_date",),
        description="Sales velocity per dealer, district, rep and overall: open deals x win rate x average deal "
        "value / average cycle days, now and one window earlier, with its trend.",
        checks=(in_set("dimension", ("overall", "district", "dealer", "rep")), in_set("trend", ("up", "down", "flat"))),
        inputs=("win_rate_by_segment", "customer_pipeline_history"),
    ),
    Table(
        "rep_consistency",
        "gold",
        cols(
            "as_of_date date, rep_id string, dealer_code string, state string, district string, weeks bigint, "
            "closed bigint, won bigint, win_rate double, win_rate_shrunk double, weekly_rate_min double, "
            "weekly_rate_max double, weekly_rate_sd double, dispersion double, consistency_index double, "
            "shortfall_deals double, is_erratic boolean"
        ),
        key=("as_of_date", "rep_id"),
        partition_by=("as_of_date",),
        description="Rep Win Consistency Index: how much more a consultant's weekly win rate varies than chance "
        "explains (100 = no more than chance), shrunk toward consistent for short records.",
        checks=(between("consistency_index", 0, 100), between("dispersion", 0)),
        inputs=("closed_deals",),
    ),
    Table(
        "win_rate_change_decomposition",
        "gold",
        cols(
            "as_of_date date, window_days int, dimension string, segment string, prior_share double, share double, "
            "prior_win_rate double, win_rate double, mix_effect double, rate_effect double, closed bigint, "
            "prior_closed bigint, total_closed bigint, total_prior_closed bigint, total_prior_win_rate double, "
            "total_win_rate double, total_change double, total_mix double, total_rate double, total_change_z double, "
            "total_mix_z double, is_comparable boolean"
        ),
        key=("as_of_date", "window_days", "dimension", "segment"),
        partition_by=("as_of_date",),
        description="The change in win rate between a window and its prior split per dimension into mix (more "
        "deals from weaker segments) and rate (segments converting differently), shift-share with midpoint "
        "weights and the mix centred on the average rate: mix + rate = change exactly.",
        checks=(in_set("dimension", WIN_RATE_DIMENSIONS), between("share", 0, 1)),
        inputs=("win_rate_by_segment",),
    ),
    Table(
        "lost_reasons",
        "gold",
        cols(
            "as_of_date date, state string, district string, product_line string, lost_reason string, "
            "competitor string, window_days int, losses bigint, prior_losses bigint, cell_losses bigint, "
            "share double, prior_share double, share_change double, elsewhere_share double"
        ),
        key=("as_of_date", "state", "district", "product_line", "lost_reason", "competitor"),
        partition_by=("as_of_date",),
        description="Losses by reason and competitor per district and product line in the window against the "
        "window before, with the share the same reason and competitor take of that product's losses elsewhere.",
        checks=(between("share", 0, 1), between("losses", 0)),
        inputs=("closed_deals",),
    ),
    Table(
        "win_rate_coverage",
        "gold",
        cols(
            "as_of_date date, column_name string, closed_deals bigint, with_value bigint, share double, "
            "status string, note string"
        ),
        key=("as_of_date", "column_name"),
        partition_by=("as_of_date",),
        description="How many closed deals carry each optional column the win-rate tables use: a table that "
        "needs a missing one is empty, and this says why.",
        checks=(in_set("status", ("ok", "partial", "missing")),),
        inputs=("closed_deals",),
    ),
    Table(
        "win_rate_driver_alerts",
        "gold",
        cols(
            "as_of_date date, alert_id string, kind string, dimension string, segment string, state string, "
            "district string, competitor string, sentence string, rate double, baseline_rate double, "
            "closed bigint, z double, impact_deals double, impact_value double, rank int, episode_start date, "
            "is_new boolean, days_active int"
        ),
        key=("as_of_date", "alert_id"),
        partition_by=("as_of_date",),
        description="Win-rate driver alerts: one plain sentence with its numbers per active driver, ranked by "
        "impact (deals lost), with the start of its episode (raised once per episode: is_new on its first day). "
        "Conditions are evaluated over the trailing dates, so an episode is the same whatever order dates run in "
        "(sql/gold/win_rate_driver_alerts.sql, gold/win_rate_driver_alerts.py).",
        checks=(in_set("kind", DRIVER_ALERT_KINDS), between("rank", 1), not_null("sentence")),
        inputs=("win_rate_by_segment", "win_rate_change_decomposition", "rep_consistency", "closed_deals"),
        logic="python",
    ),
]

# the win-rate nodes of the graph (their steps' seconds are what they add to a night: bench/nightly_bench.py)
WIN_RATE_NODES = (
    "closed_deals",
    "win_rate_daily",
    "win_rate_counts",
    "win_rate_by_segment",
    "funnel_stage_conversion",
    "sales_velocity",
    "rep_consistency",
    "win_rate_change_decomposition",
    "lost_reasons",
    "win_rate_coverage",
    "win_rate_driver_alerts",
)

# --- accounts that buy again (docs/accounts.md) ---------------------------------------------------------------

HEALTH_CLASS_NAMES = ("Excellent", "Good", "Fair", "Poor", "Critical")
SENTIMENT_LABELS = ("Positive", "Neutral", "Negative", "Unknown")
SENTIMENT_TRENDS = ("Improving", "Stable", "Declining", "Unknown")

VIEWS += [
    View(
        "account_purchases",
        inputs=("retail", "customer_pipeline"),
        description="Every invoice of a repeat-buying account within the run's reach: the invoice's account, or "
        "its opportunity's; its value, or the opportunity's deal value times the units.",
        staged=True,
    ),
    View(
        "account_calls",
        inputs=("call_log", "customer_pipeline"),
        description="Every call on an account's opportunities within the sentiment windows and episode look back "
        "of the run's dates: outcome, whether it connected, the notes.",
    ),
]

TABLES += [
    Table(
        "account_rfm",
        "gold",
        cols(
            "as_of_date date, account_id string, account_name string, segment string, region string, "
            "dealer_code string, district string, state string, first_purchase_date date, last_purchase_date date, "
            "recency_days int, orders bigint, frequency bigint, monetary double, units bigint, "
            "mean_interval_days double, r_score int, f_score int, m_score int, rfm_segment string"
        ),
        key=("as_of_date", "account_id"),
        partition_by=("as_of_date",),
        description="Recency, frequency and monetary scores (1-5, quintiles of the date's accounts) and the RFM "
        "segment by the rules in conf, per account that bought within accounts.history_days; with the account's "
        "name, segment, region and home dealer (the master's, else its latest invoice's dealer) and place.",
        checks=(
            between("r_score", 1, 5),
            between("f_score", 1, 5),
            between("m_score", 1, 5),
            between("recency_days", 0),
            between("orders", 1),
            not_null("rfm_segment"),
        ),
        inputs=("account_purchases", "accounts", "customer_pipeline", "dealer_geo"),
    ),
    Table(
        "product_affinity",
        "gold",
        cols(
            "as_of_date date, antecedent string, consequent string, accounts bigint, antecedent_accounts bigint, "
            "consequent_accounts bigint, pair_accounts bigint, support double, confidence double, lift double, "
            "confidence_shrunk double, lift_shrunk double, is_reportable boolean, rank int"
        ),
        key=("as_of_date", "antecedent", "consequent"),
        partition_by=("as_of_date",),
        description="Association rules between product lines at account level (the lines each account bought in "
        "accounts.affinity.window_days): support, confidence, lift, the confidence shrunk toward the consequent's "
        "base rate, and each rule's rank among its antecedent's (reportable first, then shrunk lift).",
        checks=(between("support", 0, 1), between("confidence", 0, 1), between("lift", 0), between("rank", 1)),
        inputs=("account_purchases",),
    ),
    Table(
        "account_cross_sell",
        "gold",
        cols(
            "as_of_date date, account_id string, rank int, product_line string, because_of string, "
            "confidence double, lift double, pair_accounts bigint"
        ),
        key=("as_of_date", "account_id", "rank"),
        partition_by=("as_of_date",),
        description="Per account, the product lines it has not bought that accounts buying what it buys also buy: "
        "from the reportable rules of product_affinity with a shrunk lift of accounts.affinity.min_lift or more, "
        "highest shrunk confidence first.",
        checks=(between("rank", 1), between("confidence", 0, 1), not_null("product_line")),
        inputs=("product_affinity", "account_purchases"),
    ),
    Table(
        "account_sentiment",
        "gold",
        cols(
            "as_of_date date, account_id string, calls_recent bigint, connected_recent bigint, calls_prior bigint, "
            "answer_rate_recent double, score_recent double, score_prior double, score_change double, "
            "negative_calls_recent bigint, label string, trend string, last_call_date date, "
            "top_terms string, llm_scored bigint"
        ),
        key=("as_of_date", "account_id"),
        partition_by=("as_of_date",),
        description="Per account with calls in the windows: the mean call score (outcome plus notes by the rule "
        "lexicon in conf, or the optional LLM's label) in the recent window against the prior one, its label and "
        "trend, the answered share and the negative terms heard lately (features in sql/gold/account_sentiment.sql, "
        "call scoring in gold/account_sentiment.py).",
        checks=(
            in_set("label", SENTIMENT_LABELS),
            in_set("trend", SENTIMENT_TRENDS),
            between("score_recent", -1, 1),
            between("answer_rate_recent", 0, 1),
        ),
        inputs=("account_calls",),
        logic="python",
    ),
    Table(
        "account_churn_risk",
        "gold",
        cols(
            "as_of_date date, account_id string, orders bigint, first_purchase_date date, last_purchase_date date, "
            "recency_days int, age_days int, mean_interval_days double, overdue_ratio double, p_alive double, "
            "p_no_purchase_bgnbd double, p_no_purchase_trained double, churn_probability double, model string, "
            "horizon_days int, risk_band string, risk_rank int"
        ),
        key=("as_of_date", "account_id"),
        partition_by=("as_of_date",),
        description="The probability of no purchase in the next accounts.churn.horizon_days (180) per account: "
        "BG/NBD and a model trained on the account history, both backtested (account_model_backtest); "
        "churn_probability is the chosen model's. Per as-of date through applyInPandas (gold/account_churn_risk.py).",
        checks=(
            between("churn_probability", 0, 1),
            between("p_alive", 0, 1),
            in_set("risk_band", ("High", "Medium", "Low")),
            between("risk_rank", 1),
            not_null("model"),
        ),
        inputs=("account_purchases",),
        logic="python",
    ),
    Table(
        "account_clv",
        "gold",
        cols(
            "as_of_date date, account_id string, expected_purchases double, expected_order_value double, "
            "clv double, clv_bgnbd_gg double, clv_cadence double, baseline_value double, horizon_days int, "
            "model string"
        ),
        key=("as_of_date", "account_id"),
        partition_by=("as_of_date",),
        description="Expected purchases and invoice value over the next accounts.clv.horizon_days (12 months): "
        "BG/NBD with Gamma-Gamma, the cadence model, and the account's own average (the baseline); clv is the "
        "model that backtested best (built with account_churn_risk).",
        checks=(between("clv", 0), between("expected_purchases", 0), not_null("model")),
        inputs=("account_purchases",),
        logic="python",
        built_by="account_churn_risk",
    ),
    Table(
        "account_model_backtest",
        "gold",
        cols(
            "as_of_date date, target string, model string, cutoff_date date, horizon_days int, accounts bigint, "
            "positives bigint, auc double, top_lift double, brier double, error double, is_chosen boolean"
        ),
        key=("as_of_date", "target", "model"),
        partition_by=("as_of_date",),
        description="Time-split backtests of the account models on each as-of date: fitted on the history up to "
        "the cutoff (the horizon before the date), scored on what happened after it. churn: AUC, top-share lift "
        "and Brier score of P(no purchase); clv: the error (sum of absolute errors over the sum of actual value) "
        "of each model and of the baseline (built with account_churn_risk).",
        checks=(in_set("target", ("churn", "clv")), between("auc", 0, 1), between("error", 0)),
        inputs=("account_purchases",),
        logic="python",
        built_by="account_churn_risk",
    ),
    Table(
        "account_health",
        "gold",
        cols(
            "as_of_date date, account_id string, account_name string, segment string, dealer_code string, "
            "district string, state string, rfm_segment string, health_score double, health_class string, "
            "score_cadence double, score_purchase_trend double, score_engagement double, score_sentiment double, "
            "score_open_pipeline double, recency_days int, mean_interval_days double, orders_recent bigint, "
            "orders_prior bigint, open_opportunities bigint, sentiment_label string, answer_rate double, "
            "factor_codes string, factors string, intervention string, critical_since date, is_new_critical boolean"
        ),
        key=("as_of_date", "account_id"),
        partition_by=("as_of_date",),
        description="Account health 0-100 (Excellent 85+, Good 75-84, Fair 65-74, Poor 55-64, Critical below 55) "
        "from cadence against the account's own history, purchase trend, engagement, sentiment and open pipeline, "
        "with its top factors in words and one intervention; a Critical episode's start (traced over the trailing "
        "dates) and is_new_critical on its first day (gold/account_health.py).",
        checks=(
            between("health_score", 0, 100),
            in_set("health_class", HEALTH_CLASS_NAMES),
            not_null("intervention"),
            not_null("is_new_critical"),
        ),
        inputs=("account_rfm", "account_sentiment", "account_purchases", "customer_pipeline_history"),
        logic="python",
    ),
]

# the account nodes of the graph (their steps' seconds are what they add to a night: bench/nightly_bench.py)
ACCOUNT_NODES = (
    "account_purchases",
    "account_calls",
    "account_rfm",
    "product_affinity",
    "account_cross_sell",
    "account_sentiment",
    "account_churn_risk",
    "account_clv",
    "account_model_backtest",
    "account_health",
)


# --- KPI monitoring (docs/kpi.md) --------------------------------------------------------------------------

KPI_LEVELS = ("company", "state", "district", "product_line", "dealer")
_KPI_MEMBER = "level string, member string, state string, district string, dealer_code string, product_line string"

VIEWS += [
    View(
        "kpi_dealer_daily",
        inputs=("customer_pipeline_history", "retail", "stock"),
        description="Per dealer, product line and day over the KPI reach: leads created (and high intent, as "
        "created), bookings (first C3), deals closed and won, retail units and value, stock.",
        staged=True,
    ),
    View(
        "kpi_series",
        inputs=("kpi_dealer_daily", "dealer_geo"),
        description="The daily KPI values of every series (level x member: company, state, district, product "
        "line, dealer) over the reach, placed by the dealers' geography on the run's last date.",
        staged=True,
    ),
]

TABLES += [
    Table(
        "kpi_daily",
        "gold",
        cols(
            "as_of_date date, " + _KPI_MEMBER + ", leads bigint, hi_leads bigint, bookings bigint, "
            "retail_units bigint, retail_value double, closed_30d bigint, won_30d bigint, conversion double, "
            "saleable_stock bigint, stock_cover_days double, mtd_retail_units bigint, mtd_retail_value double, "
            "target_units bigint, target_value double, mtd_target_units double, target_attainment double, "
            "run_rate_units double, run_rate_vs_target double, active_reps bigint, reps bigint, "
            "active_reps_ratio double, top_mover_product_line string, top_mover_units_change bigint"
        ),
        key=("as_of_date", "level", "member"),
        partition_by=("as_of_date",),
        description="The day's KPIs per level (company, state, district, product line, dealer): leads, high-intent "
        "leads, bookings, retail units and value, conversion, stock cover; month to date against target, run "
        "rate, active reps ratio, top product mover.",
        checks=(
            in_set("level", KPI_LEVELS),
            between("retail_units", 0),
            between("conversion", 0, 1),
            between("active_reps_ratio", 0, 1),
        ),
        inputs=("kpi_dealer_daily", "dealer_geo", "targets", "customer_pipeline_history"),
    ),
    Table(
        "kpi_forecast",
        "gold",
        cols(
            "as_of_date date, kpi string, " + _KPI_MEMBER + ", forecast_date date, horizon_day int, "
            "forecast double, forecast_low double, forecast_high double, model string, interval_scale double, "
            "level_mase double, level_naive_mase double, series_mase double, series_naive_mase double, "
            "naive_scale double, history_days int, ets_model string, fit_key string"
        ),
        key=("as_of_date", "kpi", "level", "member", "forecast_date"),
        partition_by=("as_of_date",),
        description="Forecasts of the next days per series, written on refit dates only (as_of_date is the "
        "origin: data through that day): AutoETS (``ets_model``: the level's candidate with the series' best backtest) "
        "or seasonal naive, whichever the level's rolling-origin backtest (MASE) favours (gold/kpi_forecast.py).",
        checks=(in_set("level", KPI_LEVELS), in_set("model", ("ets", "seasonal_naive")), between("horizon_day", 1)),
        inputs=("kpi_series",),
        logic="python",
    ),
    Table(
        "kpi_anomalies",
        "gold",
        cols(
            "as_of_date date, anomaly_id string, kpi string, " + _KPI_MEMBER + ", direction string, "
            "window_days int, actual double, expected double, expected_low double, expected_high double, "
            "gap double, gap_share double, z double, severity string, contributors string, "
            "contributor_shares string, top_product_line string, sentence string, rank int, "
            "episode_start date, is_new boolean, days_active int"
        ),
        key=("as_of_date", "anomaly_id"),
        partition_by=("as_of_date",),
        description="KPI anomalies: the last days' actuals outside their forecast interval, persisting, with "
        "severity and a root cause (the children that explain most of the gap, '; ' between them, with their "
        "shares of it), one sentence with its numbers, "
        "ranked by the size of the gap, raised once per episode (is_new) (gold/kpi_anomalies.py).",
        checks=(
            in_set("direction", ("below", "above")),
            in_set("severity", ("high", "medium", "low")),
            not_null("sentence"),
            between("rank", 1),
        ),
        inputs=("kpi_series", "kpi_forecast"),
        logic="python",
    ),
    Table(
        "product_abc",
        "gold",
        cols(
            "as_of_date date, dimension string, item string, dealer_code string, product_line string, "
            "district string, state string, value double, units bigint, share double, cumulative_share double, "
            "abc_class string, rank int"
        ),
        key=("as_of_date", "dimension", "item"),
        partition_by=("as_of_date",),
        description="ABC classes by invoice value over the last kpi.abc_days days: A the items making the first "
        "80% of value, B the next 15%, C the rest; per product line and per dealer x product line.",
        checks=(in_set("abc_class", ("A", "B", "C")), between("share", 0, 1), between("rank", 1)),
        inputs=("retail", "dealer_geo"),
    ),
    Table(
        "slow_moving_stock",
        "gold",
        cols(
            "as_of_date date, dealer_code string, product_line string, district string, state string, "
            "saleable_stock bigint, last_sale_date date, days_without_sale int, bucket_days int, "
            "last_receipt_date date, stock_age_days int, units_tied_up bigint, value_tied_up double"
        ),
        key=("as_of_date", "dealer_code", "product_line"),
        partition_by=("as_of_date",),
        description="Dealer x product line with saleable stock and no sale in 30, 60 or 90 days (the largest "
        "reached), with the units and value tied up and the stock's age since its last receipt.",
        checks=(between("saleable_stock", 1), between("days_without_sale", 1)),
        inputs=("retail", "stock", "dealer_geo"),
    ),
    Table(
        "seasonality_profile",
        "gold",
        cols(
            "as_of_date date, measure string, product_line string, period_type string, period int, "
            "period_name string, days bigint, mean_per_day double, seasonal_index double"
        ),
        key=("as_of_date", "measure", "product_line", "period_type", "period"),
        partition_by=("as_of_date",),
        description="Month and day-of-week indices of leads and retail units per product line (and All): the "
        "mean per day in the period over the mean per day, over the last kpi.seasonality_days days.",
        checks=(in_set("period_type", ("month", "weekday")), between("seasonal_index", 0)),
        inputs=("customer_pipeline_history", "retail"),
    ),
]

# the KPI nodes of the graph (their steps' seconds are what they add to a night: bench/nightly_bench.py)
KPI_NODES = (
    "kpi_dealer_daily",
    "kpi_series",
    "kpi_daily",
    "kpi_forecast",
    "kpi_anomalies",
    "product_abc",
    "slow_moving_stock",
    "seasonality_profile",
)
