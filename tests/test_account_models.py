"""The account models (gold/account_models.py), pure pandas: the summaries and metrics exactly, the BG/NBD
no-purchase probability against its closed form, the model choice, and both models on a synthetic population
where some accounts stopped buying."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from gold.account_models import (
    ModelSettings,
    auc,
    backtest,
    bgnbd_p_alive,
    bgnbd_p_none,
    choose,
    fit_bgnbd,
    model_date,
    own_average,
    relative_error,
    score,
    summarise,
    top_lift,
)
from testkit import base_config

AS_OF = date(2024, 1, 10)
CFG = ModelSettings.from_conf(base_config().pipeline.accounts)


def orders(rows: list[tuple[str, date, float]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["account_id", "purchase_date", "value"])


def test_summarise_counts_purchase_days_and_intervals() -> None:
    found = summarise(
        orders([("A", date(2023, 10, 1), 10.0), ("A", date(2023, 11, 10), 30.0), ("A", date(2023, 12, 30), 20.0),
                ("B", date(2024, 1, 1), 5.0), ("B", date(2024, 1, 20), 5.0)]),  # B's second is after the date
        AS_OF,
    )  # fmt: skip
    a, b = found.loc["A"], found.loc["B"]
    assert (a["orders"], a["x"], a["t_x"], a["age"], a["recency"]) == (3, 2, 90, 101, 11)
    epoch = date(1970, 1, 1)
    assert (a["first"], a["last"]) == ((date(2023, 10, 1) - epoch).days, (AS_OF - epoch).days - 11)
    assert a["interval"] == 45.0 and a["cv"] == pytest.approx(np.std([40, 50], ddof=1) / 45.0)
    assert (a["mean_value"], a["total_value"]) == (20.0, 60.0)
    assert (b["orders"], b["x"], b["recency"]) == (1, 0, 9) and np.isnan(b["interval"])


def test_metrics() -> None:
    labels = np.array([1, 0, 1, 0, 0], dtype=bool)
    # 0.9 beats all 3 negatives; 0.7 beats 1 and ties 1
    assert auc(np.array([0.9, 0.8, 0.7, 0.1, 0.7]), labels) == pytest.approx(4.5 / 6)
    assert top_lift(np.array([0.9, 0.8, 0.7, 0.1, 0.2]), labels, 0.2) == pytest.approx(1 / 0.4)
    assert relative_error(np.array([10.0, 0.0]), np.array([5.0, 5.0])) == pytest.approx(1.0)
    assert auc(np.array([0.1, 0.2]), np.array([True, True])) is None
    summary = pd.DataFrame({"age": [100, 730], "total_value": [50.0, 200.0]})
    assert own_average(summary, 365).tolist() == pytest.approx([50.0, 100.0])  # at least a year's span


def _population(seed: int = 3, n: int = 150) -> tuple[pd.DataFrame, set[str]]:
    """Accounts ordering every ~40-90 days for two years; a third stop on a random day of the two years."""
    rng = np.random.default_rng(seed)
    rows, stopped = [], set()
    for k in range(n):
        account, cadence = f"A{k:03d}", rng.uniform(40, 90)
        stop = AS_OF - timedelta(days=int(rng.integers(30, 700))) if k % 3 == 0 else AS_OF + timedelta(days=999)
        day = AS_OF - timedelta(days=int(rng.integers(700, 760)))
        while day <= min(stop, AS_OF):
            rows.append((account, day, float(rng.uniform(5e5, 9e5))))
            day += timedelta(days=max(7, int(rng.gamma(4.0, cadence / 4.0))))
        if stop <= AS_OF:
            stopped.add(account)
    return orders(rows), stopped


def test_bgnbd_no_purchase_is_its_closed_form() -> None:
    history, _ = _population()
    summary = summarise(history, AS_OF)
    model = fit_bgnbd(summary, CFG.penalizer, CFG.min_accounts)
    assert model is not None
    p = model.params_
    alive = bgnbd_p_alive(model, summary)
    quiet = ((p["alpha"] + summary["age"]) / (p["alpha"] + summary["age"] + 180)) ** (p["r"] + summary["x"])
    assert bgnbd_p_none(model, summary, 180) == pytest.approx((1 - alive + alive * quiet).to_numpy())


def test_a_fit_that_does_not_converge_is_no_model_and_prints_nothing(monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    import lifetimes.fitters
    from scipy.optimize import OptimizeResult

    def not_converged(*_: object, **__: object) -> OptimizeResult:
        return OptimizeResult(x=np.ones(4), fun=1.0, success=False, message="precision loss", nit=3)

    monkeypatch.setattr(lifetimes.fitters, "minimize", not_converged)
    summary = summarise(_population()[0], AS_OF)
    assert fit_bgnbd(summary, CFG.penalizer, CFG.min_accounts) is None
    assert capsys.readouterr().out == ""  # lifetimes prints the whole result first: not into a night's log


def test_both_models_rank_the_accounts_that_stopped_and_are_backtested() -> None:
    history, stopped = _population()
    pdf = history.assign(as_of_date=AS_OF)
    tests = backtest(pdf, CFG)
    assert set(zip(tests["target"], tests["model"], strict=True)) == {
        ("churn", "bgnbd"), ("churn", "trained"), ("clv", "bgnbd_gg"), ("clv", "cadence"), ("clv", "baseline"),
    }  # fmt: skip
    churn = tests[tests["target"] == "churn"].set_index("model")
    assert churn.loc["bgnbd", "auc"] > 0.6 and churn.loc["trained", "auc"] > 0.7
    scored = score(pdf, CFG, choose(tests, "churn", "auto") or "bgnbd", choose(tests, "clv", "auto") or "bgnbd_gg")
    labels = scored["account_id"].isin(stopped).to_numpy()
    assert auc(scored["churn_probability"].to_numpy(), labels) > 0.85
    assert scored["risk_rank"].sort_values().tolist() == list(range(1, len(scored) + 1))
    assert (scored["clv"] >= 0).all() and (scored["churn_probability"].between(0, 1)).all()


def test_the_model_choice() -> None:
    tests = pd.DataFrame(
        {
            "target": ["churn", "churn", "clv", "clv", "clv"],
            "model": ["bgnbd", "trained", "bgnbd_gg", "cadence", "baseline"],
            "auc": [0.7, 0.8, None, None, None],
            "error": [None, None, 0.5, None, 0.2],  # the baseline is a yardstick, never chosen
        }
    )
    assert (choose(tests, "churn", "auto"), choose(tests, "clv", "auto")) == ("trained", "bgnbd_gg")
    assert choose(tests, "churn", "bgnbd") == "bgnbd"
    assert choose(tests.assign(auc=None), "churn", "auto") == "bgnbd"  # nothing backtested: the first


def test_one_date_end_to_end_gives_the_scores_of_the_wanted_models_and_the_backtests() -> None:
    history, _ = _population()
    pdf = history.assign(as_of_date=AS_OF)
    both = model_date(pdf, CFG, "bgnbd", "cadence")
    accounts, tests = both[both["row_kind"] == "account"], both[both["row_kind"] == "backtest"]
    assert len(accounts) == history["account_id"].nunique() and len(tests) == 5
    assert set(accounts["model"]) == {"bgnbd"} and set(accounts["clv_model"]) == {"cadence"}
    chosen = tests[tests["is_chosen"].astype(bool)]
    assert sorted(zip(chosen["target"], chosen["model"], strict=True)) == [("churn", "bgnbd"), ("clv", "cadence")]
    expected = score(pdf, CFG, "bgnbd", "cadence").set_index("account_id")["churn_probability"]
    found = accounts.set_index("account_id")["churn_probability"].astype(float)
    pd.testing.assert_series_equal(found.loc[expected.index], expected.astype(float), check_names=False)
    assert accounts["target"].isna().all() and tests["account_id"].isna().all()  # each kind leaves the other's
