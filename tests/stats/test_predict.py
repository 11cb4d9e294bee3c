"""Predicted probabilities with delta-method bands (omotenashi_research.stats.predict).

Known answers are hand computations: a saturated logistic model (the band of a share is the Wald band of
its logit, ``se^2 = 1 / (n p (1 - p))``) and, for the ordinal model, the closed-form logits of the lowest and
highest category, whose variances are written out term by term from the fitted covariance.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import expit, logit

from omotenashi_research.stats.model_checks import ModelInputError
from omotenashi_research.stats.models import fit_gee, fit_ordinal
from omotenashi_research.stats.predict import check_observed_range, observed_grid, predict_bands

Z975 = 1.959963984540054  # qnorm(0.975)


def _saturated() -> pd.DataFrame:
    # 3 of 10 events at x = 0, 7 of 10 at x = 1, one row per cluster
    return pd.DataFrame({"y": [1] * 3 + [0] * 7 + [1] * 7 + [0] * 3, "x": [0] * 10 + [1] * 10,
                         "g": range(20)})


def test_gee_band_is_the_wald_band_of_the_logit_hand_computed():
    d = _saturated()
    fit = fit_gee(d, "y ~ x", groups="g", cov_struct="independence")
    p = predict_bands(fit, pd.DataFrame({"x": [0, 1]}), data=d)
    # saturated logit: p-hat = 0.3 and 0.7; var(logit p-hat) = 1 / (n p (1 - p)) = 1 / 2.1 (sandwich = model
    # based here, since sum (y - p)^2 = n p (1 - p)); se = 0.6900655593
    se = (1 / 2.1) ** 0.5
    assert p["prob"].tolist() == pytest.approx([0.3, 0.7], abs=1e-8)
    assert p["se"].tolist() == pytest.approx([0.6900655593, 0.6900655593], abs=1e-8)
    # expit(logit(0.3) -+ 1.96 * 0.69007) = 0.0997683156, 0.6236819273
    assert p.loc[0, ["ci_low", "ci_high"]].tolist() == pytest.approx([0.0997683156, 0.6236819273], abs=1e-8)
    assert p.loc[1, ["ci_low", "ci_high"]].tolist() == pytest.approx([1 - 0.6236819273, 1 - 0.0997683156],
                                                                      abs=1e-8)
    assert se == pytest.approx(0.6900655593)
    assert p["category"].tolist() == [1, 1]
    assert p["row"].tolist() == [0, 1]


def _ordinal_data(seed: int = 3, n: int = 300) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    g = rng.choice(["a", "b"], size=n)
    latent = 0.8 * x + 0.5 * (g == "b") + rng.logistic(size=n)
    return pd.DataFrame({"sat": 1 + np.searchsorted([-1.0, 0.2, 1.5], latent), "x": x, "g": g})


def test_ordinal_end_categories_match_the_hand_delta_method():
    d = _ordinal_data()
    fit = fit_ordinal(d, "sat ~ x + C(g)")
    grid = pd.DataFrame({"x": [-1.0, 0.0, 1.2], "g": ["b", "a", "b"]})
    p = predict_bands(fit, grid, data=d)
    params = np.asarray(fit.result.params, float)
    cov = np.asarray(fit.result.cov_params(), float)
    # statsmodels order: slopes [C(g)[T.b], x], then theta_1, log(theta_2 - theta_1), log(theta_3 - theta_2)
    assert list(fit.result.model.exog_names[:2]) == ["C(g)[T.b]", "x"]
    exog = np.column_stack([(grid["g"] == "b").astype(float), grid["x"]])
    xb = exog @ params[:2]
    theta1 = params[2]
    theta3 = params[2] + np.exp(params[3]) + np.exp(params[4])
    for i in range(len(grid)):
        # lowest category: logit p_1 = theta_1 - x'b; gradient (-x, 1, 0, 0)
        g1 = np.r_[-exog[i], 1.0, 0.0, 0.0]
        # highest category: logit p_4 = x'b - theta_3; gradient (x, -1, -exp(r2), -exp(r3))
        g4 = np.r_[exog[i], -1.0, -np.exp(params[3]), -np.exp(params[4])]
        for cat, eta, grad in ((1, theta1 - xb[i], g1), (4, xb[i] - theta3, g4)):
            se = float(np.sqrt(grad @ cov @ grad))
            row = p[(p["row"] == i) & (p["category"] == cat)].iloc[0]
            assert row["prob"] == pytest.approx(expit(eta), rel=1e-9)
            assert row["se"] == pytest.approx(se, rel=1e-5)  # numerical gradient vs exact
            assert row["ci_low"] == pytest.approx(expit(eta - Z975 * se), rel=1e-5)
            assert row["ci_high"] == pytest.approx(expit(eta + Z975 * se), rel=1e-5)


def test_ordinal_probabilities_agree_with_predict_proba_and_sum_to_one():
    d = _ordinal_data()
    fit = fit_ordinal(d, "sat ~ x + C(g)")
    grid = observed_grid(d, "x", n=7, at={"g": "a"})
    p = predict_bands(fit, grid, data=d)
    ref = fit.predict_proba(grid)
    assert p["prob"].to_numpy() == pytest.approx(ref["prob"].to_numpy(), abs=1e-10)
    assert p.groupby("row")["prob"].sum().to_numpy() == pytest.approx(np.ones(7))
    assert (p["ci_low"] < p["prob"]).all() and (p["prob"] < p["ci_high"]).all()


def test_ordinal_from_plain_columns():
    d = _ordinal_data()
    fit = fit_ordinal(d, y="sat", X=["x"])
    p = predict_bands(fit, pd.DataFrame({"x": [0.0]}))
    assert p["prob"].to_numpy() == pytest.approx(fit.predict_proba(pd.DataFrame({"x": [0.0]}))["prob"])


def test_band_widens_with_confidence_level():
    d = _saturated()
    fit = fit_gee(d, "y ~ x", groups="g", cov_struct="independence")
    p95 = predict_bands(fit, pd.DataFrame({"x": [0]}))
    p99 = predict_bands(fit, pd.DataFrame({"x": [0]}), alpha=0.01)
    assert p99.loc[0, "ci_low"] < p95.loc[0, "ci_low"] and p99.loc[0, "ci_high"] > p95.loc[0, "ci_high"]


def test_extrapolation_is_refused_with_the_row_and_range():
    d = _saturated()
    fit = fit_gee(d, "y ~ x", groups="g", cov_struct="independence")
    with pytest.raises(ModelInputError, match=r"row 1 has x = 2 outside the observed range \[0, 1\]"):
        predict_bands(fit, pd.DataFrame({"x": [0.5, 2.0]}), data=d)
    # without data= the caller takes responsibility
    assert len(predict_bands(fit, pd.DataFrame({"x": [2.0]}))) == 1


def test_poisson_gee_and_unknown_fits_are_refused():
    d = _saturated()
    fit = fit_gee(d, "y ~ x", groups="g", family="poisson", cov_struct="independence")
    with pytest.raises(ModelInputError, match="only binomial"):
        predict_bands(fit, pd.DataFrame({"x": [0]}))
    with pytest.raises(ModelInputError, match="OrdinalFit or GeeFit"):
        predict_bands(object(), pd.DataFrame({"x": [0]}))  # type: ignore[arg-type]
    with pytest.raises(ModelInputError, match="alpha"):
        predict_bands(fit, pd.DataFrame({"x": [0]}), alpha=1.5)


def test_missing_predictor_in_newdata_is_named():
    d = _ordinal_data()
    fit = fit_ordinal(d, "sat ~ x + C(g)")
    with pytest.raises(ModelInputError, match="design matrix"):
        predict_bands(fit, pd.DataFrame({"x": [0.0]}))


def test_observed_grid_stays_inside_the_rows_matching_at():
    d = pd.DataFrame({"x": [0.0, 0.5, 2.0, 9.0], "g": ["a", "a", "a", "b"]})
    grid = observed_grid(d, "x", n=5, at={"g": "a"}, fixed={"z": 1.0})
    assert grid["x"].tolist() == [0.0, 0.5, 1.0, 1.5, 2.0]
    assert set(grid["g"]) == {"a"} and set(grid["z"]) == {1.0}
    # a 0/1 predictor gets its observed values, not 41 fractions
    assert observed_grid(pd.DataFrame({"x": [0, 1, 1, 0]}), "x")["x"].tolist() == [0, 1]


@pytest.mark.parametrize("kwargs, match", [
    ({"x": "nope"}, "not in the data"),
    ({"x": "x", "at": {"g": "zzz"}}, "no row with"),
    ({"x": "g"}, "not numeric"),
    ({"x": "x", "n": 1}, "n must be"),
])
def test_observed_grid_errors(kwargs, match):
    d = pd.DataFrame({"x": [0.0, 1.0], "g": ["a", "b"]})
    with pytest.raises(ModelInputError, match=match):
        observed_grid(d, **kwargs)


def test_check_observed_range_only_checks_shared_numeric_columns():
    check_observed_range(pd.DataFrame({"x": [1.0], "g": ["zzz"], "new": [99.0]}),
                         pd.DataFrame({"x": [0.0, 1.0], "g": ["a", "b"]}))


@settings(max_examples=25, deadline=None)
@given(st.lists(st.floats(0, 1), min_size=1, max_size=6), st.sampled_from([0.01, 0.05, 0.2]))
def test_bands_contain_the_prediction_and_stay_in_unit_interval(xs, alpha):
    d = _ordinal_data(seed=5, n=200)
    d["x"] = (d["x"] - d["x"].min()) / (d["x"].max() - d["x"].min())  # observed range exactly [0, 1]
    fit = _cached_fit(d)
    grid = pd.DataFrame({"x": xs, "g": "a"})
    p = predict_bands(fit, grid, data=d, alpha=alpha)
    assert ((0 < p["ci_low"]) & (p["ci_low"] <= p["prob"]) & (p["prob"] <= p["ci_high"])
            & (p["ci_high"] < 1)).all()
    assert p.groupby("row")["prob"].sum().to_numpy() == pytest.approx(np.ones(len(xs)))


_FITS: dict[int, object] = {}


def _cached_fit(d: pd.DataFrame):
    # one fit for all hypothesis examples (the data are fixed; only the grid varies)
    if 0 not in _FITS:
        _FITS[0] = fit_ordinal(d, "sat ~ x + C(g)")
    return _FITS[0]


def test_gee_property_logit_band_symmetric():
    d = _saturated()
    fit = fit_gee(d, "y ~ x", groups="g", cov_struct="independence")
    p = predict_bands(fit, pd.DataFrame({"x": [0, 1]}))
    # on the logit scale the band is symmetric around the prediction
    mid = (logit(p["ci_low"]) + logit(p["ci_high"])) / 2
    assert mid.to_numpy() == pytest.approx(logit(p["prob"]).to_numpy())
