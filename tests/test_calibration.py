"""scv calibrate's pure parts on tiny hand-built frames: outcomes and labels, the time split, leakage, the
non-negative fit, the Platt map and the measures, each against values computed by hand."""

from __future__ import annotations

import math
import re
from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd
import pytest

from operations.calibration.dataset import (
    COMPONENTS,
    labelled,
    leak_report,
    outcomes,
    period_counts,
    set_at_close_shares,
    time_split,
)
from operations.calibration.fit import calibrate
from operations.calibration.model import (
    auc,
    calibration_error,
    calibration_table,
    fit_logistic,
    fit_platt,
    normalised_weights,
    top_lift,
    total_score,
)
from testkit import base_config

D0 = date(2026, 1, 5)


def _version(opty_id: str, status: str, day: date, **fields: object) -> dict[str, object]:
    row: dict[str, object] = {
        "opty_id": opty_id,
        "status": status,
        "updated_at": datetime(day.year, day.month, day.day, 10),
        "created_date": D0,
        "expected_closure_date": None,
        "lead_classification": "Hot",
        "opty_category": "Walk-in",
        "customer_type": "Fleet",
        "product_line": "Pickup",
    }
    row.update(fields)
    return row


def test_outcomes_date_the_first_win_and_the_first_close() -> None:
    versions = pd.DataFrame(
        [
            _version("A", "Open", D0),
            _version("A", "Won", D0 + timedelta(days=9)),
            _version("A", "Won", D0 + timedelta(days=12)),  # a later correction of the same win
            _version("B", "Open", D0),
            _version("B", "Lost", D0 + timedelta(days=4)),
            _version("C", "Open", D0),
        ]
    )
    ends = outcomes(versions).set_index("opty_id")
    assert ends.loc["A", "won_date"] == D0 + timedelta(days=9)
    assert ends.loc["A", "closed_date"] == D0 + timedelta(days=9)
    assert pd.isna(ends.loc["B", "won_date"]) and ends.loc["B", "closed_date"] == D0 + timedelta(days=4)
    assert "C" not in ends.index


def test_labels_count_wins_in_the_horizon_and_leave_out_deals_closed_by_the_snapshot() -> None:
    history = pd.DataFrame({"as_of_date": [D0] * 5, "opty_id": ["on_day_30", "day_31", "same_day", "lost", "open"]})
    ends = pd.DataFrame(
        {
            "opty_id": ["on_day_30", "day_31", "same_day", "lost"],
            "won_date": [D0 + timedelta(days=30), D0 + timedelta(days=31), D0, None],
            "closed_date": [D0 + timedelta(days=30), D0 + timedelta(days=31), D0, D0 + timedelta(days=3)],
        }
    )
    rows, closed_before = labelled(history, ends, horizon=30)
    assert closed_before == 1  # won on the snapshot date itself: it was no longer open to be predicted
    assert rows.set_index("opty_id")["label"].to_dict() == {"on_day_30": 1, "day_31": 0, "lost": 0, "open": 0}
    assert rows.set_index("opty_id")["is_closed"].to_dict() == {
        "on_day_30": True,
        "day_31": False,
        "lost": True,
        "open": False,
    }


def test_the_time_split_purges_training_snapshots_whose_horizon_reaches_the_test_period() -> None:
    dates = [D0 + timedelta(days=7 * i) for i in range(10)]
    split = time_split(dates, data_end=dates[8] + timedelta(days=14), horizon=14, test_snapshots=3)
    assert split.censored_dates == [dates[9]]
    assert split.test_dates == dates[6:9]
    # a training label must be known by the first test date: d + 14 <= dates[6]
    assert split.train_dates == dates[0:5]
    assert split.purged_dates == [dates[5]]
    assert time_split(dates[:3], dates[2] + timedelta(days=14), 14, 3).test_dates == []


def test_a_field_set_only_at_closing_is_a_leak() -> None:
    close = D0 + timedelta(days=5)
    versions = pd.DataFrame(
        [
            _version("A", "Open", D0),
            _version("A", "Won", close, expected_closure_date=close),
            _version("B", "Open", D0),
            _version("B", "Lost", close, expected_closure_date=close),
            _version("C", "Open", D0, expected_closure_date=close),
            _version("C", "Won", close, expected_closure_date=close),
            _version("D", "Open", D0),
            _version("D", "Lost", close),
        ]
    )
    shares = set_at_close_shares(versions)
    assert shares["expected_closure_date"] == 0.5  # A and B of the four closed deals
    assert shares["lead_classification"] == 0.0
    train = pd.DataFrame({f"score_{c}": [50.0, 50.0, 50.0, 50.0] for c in COMPONENTS} | {"label": [0, 1, 0, 1]})
    train["score_lead_age"] = [0.0, 100.0, 0.0, 100.0]  # alone it separates winners perfectly
    report = leak_report(versions, train, threshold_share=0.5, max_auc=0.95)
    assert [(leak.component, leak.why) for leak in report.leaks] == [
        ("expected_closure", "expected_closure_date is empty while open and set at closing in 50% of closed deals"),
        ("lead_age", "alone it ranks the winners with AUC 1.000 (> 0.95)"),
    ]


def test_weights_are_normalised_to_sum_to_one_and_nothing_is_none() -> None:
    names = ["a", "b", "c"]
    assert normalised_weights(np.array([1.0, 1.0, 1.0]), names) == {"a": 0.334, "b": 0.333, "c": 0.333}
    assert normalised_weights(np.array([3.0, 1.0, 0.0]), names) == {"a": 0.75, "b": 0.25, "c": 0.0}
    assert normalised_weights(np.zeros(3), names) is None


def test_the_fit_never_gives_a_negative_weight() -> None:
    # four rows per cell (x0, x1): win rates 1/2 at (0, 0), 1/4 at (0, 1), 3/4 at (1, 0), 1/2 at (1, 1):
    # x0 raises the odds, x1 lowers them (unconstrained: b1 = ln 3, b2 = -ln 3)
    x = np.repeat(np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float), 4, axis=0)
    y = np.array([1, 1, 0, 0, 1, 0, 0, 0, 1, 1, 1, 0, 1, 1, 0, 0], dtype=float)
    params = fit_logistic(x, y, l2=0.0)
    assert params[2] == 0.0
    # with b2 held at 0 the model fits x0's marginal rates, 3/8 and 5/8
    assert params[0] == pytest.approx(math.log(3 / 5), abs=1e-4)
    assert params[1] == pytest.approx(2 * math.log(5 / 3), abs=1e-4)
    assert fit_logistic(x, y, l2=0.0, free=[False, True])[1:].tolist() == [0.0, 0.0]


def test_platt_maps_scores_to_the_observed_rates() -> None:
    score = np.array([0, 0, 0, 0, 100, 100, 100, 100], dtype=float)
    y = np.array([1, 0, 0, 0, 1, 1, 1, 0], dtype=float)
    intercept, slope = fit_platt(score, y)
    assert intercept == pytest.approx(-math.log(3), abs=1e-4) and slope == pytest.approx(2 * math.log(3), abs=1e-4)
    # a score that predicts nothing, or the opposite, gets a flat map: slope 0 at the base rate
    assert fit_platt(score, 1 - y) == pytest.approx((0.0, 0.0), abs=1e-5)


def test_auc_lift_and_calibration_error_by_hand() -> None:
    assert auc([1, 2, 3, 4], [0, 1, 0, 1]) == 0.75
    assert auc([1, 1, 2], [0, 1, 1]) == 0.75  # a tie counts half
    assert auc([1, 2], [1, 1]) is None
    rows = pd.DataFrame(
        {
            "as_of_date": [D0] * 4 + [D0 + timedelta(days=7)] * 2,
            "dealer_code": ["D1", "D1", "D2", "D2", "D1", "D1"],
            "opty_id": ["a", "b", "c", "d", "a", "b"],
            "label": [1, 0, 0, 0, 1, 1],
        }
    )
    # top 1 per dealer and date: a (won), c before d on the tie (lost), a on day 7 (won): 2/3 over 3/6
    assert top_lift(rows, pd.Series([9.0, 1.0, 5.0, 5.0, 3.0, 2.0]), top=1) == pytest.approx(4 / 3)
    p = np.array([0.1, 0.1, 0.9, 0.9])
    table = calibration_table(p, np.array([0, 0, 1, 0]), bins=10)
    assert table.to_dict("list") == {"rows": [2, 2], "predicted": [0.1, 0.9], "observed": [0.0, 0.5]}
    assert calibration_error(p, np.array([0, 0, 1, 0]), bins=10) == pytest.approx(0.5 * 0.1 + 0.5 * 0.4)


def test_total_score_is_the_nights_weighted_sum() -> None:
    frame = pd.DataFrame({f"score_{c}": [100.0 / 3] for c in COMPONENTS})
    weights = base_config().pipeline.scoring.weights.as_dict()
    assert total_score(frame, weights).tolist() == [33.33]


# ---------------------------------------------------------------------------------- the whole procedure
def _history(dates: list[date]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per date 20 fresh opportunities of one dealer: 10 with lead_age 100 (6 won 5 days later) and 10 with
    lead_age 0 (2 won); lead_classification is the mirror of lead_age, every other component 50. Of the
    rest, half are lost 5 days later and half stay open."""
    rows, versions = [], []
    for i, day in enumerate(dates):
        for j in range(20):
            opty = f"O{i}-{j}"
            fresh = j < 10
            won = (j < 6) if fresh else (j < 12)
            lost = not won and j % 2 == 1
            scores = {f"score_{c}": 50.0 for c in COMPONENTS}
            scores["score_lead_age"] = 100.0 if fresh else 0.0
            scores["score_lead_classification"] = 0.0 if fresh else 100.0
            rows.append({"as_of_date": day, "opty_id": opty, "dealer_code": "D1", "weights_version": "w", **scores})
            versions.append(_version(opty, "Open", day - timedelta(days=1), created_date=day - timedelta(days=1)))
            if won or lost:
                versions.append(_version(opty, "Won" if won else "Lost", day + timedelta(days=5)))
    history = pd.DataFrame(rows).assign(total_score=0.0)
    return history, pd.DataFrame(versions)


def _settings(**changes: object):  # type: ignore[no-untyped-def]
    return base_config().pipeline.calibration.model_copy(
        update={"horizon_days": 14, "min_closed_deals": 10, "min_positives": 5, **changes}
    )


def test_calibrate_fits_measures_and_maps_the_probability() -> None:
    dates = [D0 + timedelta(days=7 * i) for i in range(10)]
    history, versions = _history(dates)
    scoring = base_config().pipeline.scoring
    result = calibrate(history, versions, dates[-1] + timedelta(days=14), scoring, _settings(), top=10)
    assert result.refusals == [] and result.leaks.leaks == []
    assert result.split.train_dates == dates[:5] and result.split.test_dates == dates[6:]
    train, test = result.counts
    # train: 5 dates x (8 won + 6 lost) closed deals, 5 x 8 won
    assert (train.snapshots, train.rows, train.closed_deals, train.positives) == (5, 100, 70, 40)
    assert (test.snapshots, test.rows, test.closed_deals, test.positives) == (4, 80, 56, 32)
    fitted, designed = result.get("fitted"), result.get("designed")
    assert fitted is not None and designed is not None
    # alone on either period: lead_age as the fitted score, its mirror the other way round, the rest 0.5
    assert result.component_auc["lead_age"] == pytest.approx((68 / 96, 68 / 96))
    assert result.component_auc["lead_classification"] == pytest.approx((28 / 96, 28 / 96))
    assert result.component_auc["stock"] == (0.5, 0.5)
    # lead_age alone carries the signal; its mirror and the constant components get nothing
    assert fitted.weights == {c: (1.0 if c == "lead_age" else 0.0) for c in COMPONENTS}
    # fresh leads: 6 of 10 won, the others 2 of 10; AUC = (6 x 8 + (6 x 4 + 2 x 8) / 2) / (8 x 12)
    assert fitted.auc == pytest.approx(68 / 96)
    # the designed score ranks them the other way round (lead_classification outweighs lead_age)
    assert designed.auc == pytest.approx(28 / 96)
    # each date's top 10 are the fresh leads for the fitted score (0.6 vs a base rate of 0.4), the others
    # for the designed one (0.2)
    assert fitted.lift == pytest.approx(1.5) and designed.lift == pytest.approx(0.5)
    # the fitted map reproduces 0.2 and 0.6 on every held-out date; the designed score's map is flat at the
    # base rate 0.4 (its slope cannot go below 0): calibrated too, but it tells the leads apart no better
    # than chance, which is what the AUC is for
    assert fitted.calibration_error == pytest.approx(0.0, abs=1e-4)
    assert designed.calibration_error == pytest.approx(0.0, abs=1e-4)
    intercept, slope = result.probability or (0.0, 0.0)
    assert intercept == pytest.approx(math.log(0.2 / 0.8), abs=1e-4)
    assert slope == pytest.approx(math.log(0.6 / 0.4) - math.log(0.2 / 0.8), abs=1e-4)
    # moved more than 0.10 from the designed weights (expected_closure, followup and stock moved exactly 0.10)
    assert set(result.drift) == {"lead_age", "lead_classification", "engagement"}
    assert result.is_better(min_auc_gain=0.01)
    assert result.fitted is not None and result.fitted.version.startswith("fit-2026-03-09-")


def test_calibrate_refuses_too_few_wins_and_leaves_out_a_leaking_component() -> None:
    dates = [D0 + timedelta(days=7 * i) for i in range(10)]
    history, versions = _history(dates)
    scoring = base_config().pipeline.scoring
    end = dates[-1] + timedelta(days=14)
    refused = calibrate(history, versions, end, scoring, _settings(min_positives=33))
    assert refused.refusals == ["test: 32 won deals, fewer than 33"] and refused.measured == []
    short = calibrate(history[history["as_of_date"] >= dates[5]], versions, end, scoring, _settings())
    assert short.refusals[0].startswith("0 training and 4 test snapshot dates")
    # the fresh leads' expected closure date is set only when they close: expected_closure is left out
    closing = versions["status"] != "Open"
    leaky = versions.assign(expected_closure_date=np.where(closing, D0, None))
    history = history.assign(score_expected_closure=history["score_lead_age"])
    result = calibrate(history, leaky, end, scoring, _settings())
    assert [leak.component for leak in result.leaks.leaks] == ["expected_closure"]
    assert result.fitted is not None and result.fitted.weights["expected_closure"] == 0.0
    assert result.fitted.weights["lead_age"] == 1.0


def test_period_counts_count_each_deal_once() -> None:
    rows = pd.DataFrame(
        {
            "as_of_date": [D0, D0 + timedelta(days=7)],
            "opty_id": ["A", "A"],
            "label": [1, 1],
            "is_closed": [True, True],
        }
    )
    counts = period_counts("train", rows)
    assert (counts.snapshots, counts.rows, counts.closed_deals, counts.positives) == (2, 2, 1, 1)


# ---------------------------------------------------------------------------------- the command
@pytest.fixture
def calibration_lake(tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    """A lake holding ten weekly snapshots of ``_history`` and their versions, and a configuration folder
    (conf/base and a ``test`` environment with a 14-day horizon and small minimums)."""
    import shutil

    import yaml

    from ground.catalogue import GOLD_TABLES, SILVER_TABLES
    from ground.config import PROJECT_ROOT
    from ground.lake import write_rows

    conf = tmp_path / "conf"
    shutil.copytree(PROJECT_ROOT / "conf" / "base", conf / "base")
    (conf / "test").mkdir()
    overrides = {"calibration": {"horizon_days": 14, "min_closed_deals": 10, "min_positives": 5}}
    (conf / "test" / "calibration.yaml").write_text(yaml.safe_dump(overrides))
    for name, folder in {"LAKE_ROOT": "lake", "LANDING_DIR": "landing", "OUTBOX_DIR": "out", "TRUTH_DIR": "t"}.items():
        monkeypatch.setenv(f"SCV_{name}", str(tmp_path / folder))
    monkeypatch.setenv("SCV_CONF_DIR", str(conf))
    monkeypatch.setenv("SCV_ENV", "test")
    dates = [D0 + timedelta(days=7 * i) for i in range(10)]
    history, versions = _history(dates)
    lake = str(tmp_path / "lake")
    write_rows(GOLD_TABLES["scv_customer_score_history"], lake, history.to_dict("records"))
    write_rows(SILVER_TABLES["customer_pipeline_history"], lake, versions.to_dict("records"))
    last_night = {"opty_id": "Z", "as_of_date": dates[-1] + timedelta(days=14), "total_score": 1.0}
    write_rows(GOLD_TABLES["scv_customer_score"], lake, [last_night])
    return conf / "test"


def test_scv_calibrate_proposes_adopts_if_better_and_then_finds_no_drift(calibration_lake, capsys) -> None:  # type: ignore[no-untyped-def]
    import json

    from ground.config import load_config
    from scv import cli

    assert cli.main(["calibrate"]) == 0
    out = capsys.readouterr().out
    assert "won within 14 days, data to 2026-03-23" in out
    assert "snapshots: train 5 (2026-01-05 .. 2026-02-02), test 4 (2026-02-16 .. 2026-03-09)" in out
    assert re.search(r"\n  lead_age +0\.150 +1\.000 +0\.708 / 0\.708\n", out)  # designed, fitted, alone
    assert re.search(r"\n  AUC +0\.292 +0\.708\n", out)
    assert "drift: fitted weights moved more than the limit" in out
    assert "direction: lead_classification (AUC 0.292) rank(s) the training period's wins below its losses" in out
    proposals = list((calibration_lake / "proposals").glob("fit-2026-03-09-*.yaml"))
    assert len(proposals) == 1 and "verdict:  better than the weights in use" in out
    assert not (calibration_lake / "scoring_adopted.yaml").exists()  # nothing changes until adopted
    assert load_config().pipeline.scoring.adopted is None

    assert cli.main(["calibrate", "--adopt-if-better"]) == 0
    assert "adopted fit-2026-03-09-" in capsys.readouterr().out
    adopted = load_config().pipeline.scoring.adopted
    assert adopted is not None and adopted.weights.lead_age == 1.0 and adopted.horizon_days == 14
    assert adopted.probability_intercept == pytest.approx(math.log(0.2 / 0.8), abs=1e-4)

    # refitted on the same history: the adopted weights are the fitted ones, no drift, no gain
    assert cli.main(["calibrate", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["drift"] == {} and report["is_better"] is False
    assert report["measured"]["adopted"]["auc"] == report["measured"]["fitted"]["auc"] == pytest.approx(68 / 96)


def test_scv_calibrate_refuses_without_enough_history_and_rejects_a_bad_proposal(calibration_lake, capsys) -> None:  # type: ignore[no-untyped-def]
    from scv import cli

    # a 60-day horizon leaves 4 snapshot dates whose outcome is known: none to train on
    assert cli.main(["calibrate", "--horizon", "60"]) == 3
    assert "refused: 0 training and 0 test snapshot dates whose 60-day horizon ended by 2026-03-23" in (
        capsys.readouterr().out
    )
    bad = calibration_lake / "bad.yaml"
    bad.write_text("scoring:\n  adopted:\n    weights_version: x\n")
    assert cli.main(["calibrate", "--adopt", str(bad)]) == 2
    assert "scoring.adopted.weights: missing" in capsys.readouterr().err
    assert not (calibration_lake / "scoring_adopted.yaml").exists()


def test_scv_evaluate_reports_designed_and_fitted_on_the_test_period(calibration_lake) -> None:  # type: ignore[no-untyped-def]
    from ground.config import load_config
    from operations.evaluate import fitted_score_metrics

    _, versions = _history([D0 + timedelta(days=7 * i) for i in range(10)])
    closing = versions[versions["status"] != "Open"]
    truth = pd.DataFrame(
        {
            "opty_id": closing["opty_id"],
            "conversion_date": np.where(closing["status"] == "Won", closing["updated_at"].dt.date, None),
            "lost_date": np.where(closing["status"] == "Lost", closing["updated_at"].dt.date, None),
        }
    )
    report = fitted_score_metrics(load_config(), truth, date(2026, 3, 23), horizon=14, top=10)
    assert report == {
        "score_auc_designed": round(28 / 96, 4),
        "score_auc_fitted": round(68 / 96, 4),
        "top20_lift_designed": 0.5,
        "top20_lift_fitted": 1.5,
        "calibration_error": 0.0,
        "fitted_weights": {c: (1.0 if c == "lead_age" else 0.0) for c in COMPONENTS},
        "calibration_test_dates": ["2026-02-16", "2026-02-23", "2026-03-02", "2026-03-09"],
        "calibration_refused": [],
    }
