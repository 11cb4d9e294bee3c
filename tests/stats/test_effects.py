"""Known-answer and property tests for the effect sizes (R reference code in comments)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from omotenashi_research.stats.effects import (
    EFFECT_COLUMNS,
    cliffs_delta,
    cohens_d,
    hedges_g,
    odds_ratio,
    rank_biserial,
    rate_ratio,
)

X = [1, 2, 3, 4]
Y = [2, 3, 4, 5, 6]


def row(df):
    assert len(df) == 1
    assert list(df.columns[: len(EFFECT_COLUMNS)]) == list(EFFECT_COLUMNS)
    return df.iloc[0]


def test_cohens_d_matches_r_noncentral_t():
    # R 4.x:
    # x <- c(1,2,3,4); y <- c(2,3,4,5,6); n1 <- 4; n2 <- 5; df <- 7
    # sp <- sqrt(((n1-1)*var(x)+(n2-1)*var(y))/df); d <- (mean(x)-mean(y))/sp      # -1.0246950766
    # t <- d*sqrt(n1*n2/(n1+n2))
    # uniroot(function(ncp) pt(t, df, ncp) - 0.975, c(-20,20), tol=1e-12)$root / sqrt(20/9)  # -2.4102510236
    # uniroot(function(ncp) pt(t, df, ncp) - 0.025, c(-20,20), tol=1e-12)$root / sqrt(20/9)  #  0.4222804759
    # t.test(x, y, var.equal=TRUE)$statistic                                         # -1.52752523165
    r = row(cohens_d(X, Y))
    assert r["estimate"] == pytest.approx(-1.0246950766, abs=1e-9)
    assert r["ci_low"] == pytest.approx(-2.4102510236, abs=1e-6)
    assert r["ci_high"] == pytest.approx(0.4222804759, abs=1e-6)
    assert r["statistic"] == pytest.approx(-1.52752523165, abs=1e-9)
    assert (r["n1"], r["n2"]) == (4, 5)


def test_cohens_d_hand_value():
    # means 2.5 and 4; variances 5/3 and 2.5; pooled var (3*5/3 + 4*2.5)/7 = 15/7
    assert row(cohens_d(X, Y))["estimate"] == pytest.approx(-1.5 / np.sqrt(15 / 7), rel=1e-12)


def test_hedges_g_correction():
    # J(7) exact = exp(lgamma(3.5) - log(sqrt(3.5)) - lgamma(3)) = 0.8882029077 (R);
    # the textbook approximation 1 - 3/(4*7 - 1) = 0.8888889 agrees to < 0.1 %.
    d = row(cohens_d(X, Y))
    g = row(hedges_g(X, Y))
    j = g["estimate"] / d["estimate"]
    assert j == pytest.approx(0.8882029077, abs=1e-9)
    assert j == pytest.approx(1 - 3 / (4 * 7 - 1), rel=1e-3)
    assert g["estimate"] == pytest.approx(-0.9101371465, abs=1e-9)
    assert g["ci_low"] == pytest.approx(-2.4102510236 * j, abs=1e-6)
    assert g["effect"] == "hedges_g"


def test_cohens_d_errors():
    with pytest.raises(ValueError, match="missing value"):
        cohens_d([1, np.nan, 3], Y)
    assert row(cohens_d([1, np.nan, 2, 3, 4], Y, nan_policy="omit"))["n1"] == 4
    with pytest.raises(ValueError, match="pooled SD is 0"):
        cohens_d([1, 1], [1, 1, 1])
    with pytest.raises(ValueError, match="at least 2"):
        cohens_d([1], Y)
    with pytest.raises(ValueError, match="ci"):
        cohens_d(X, Y, ci=95)


def test_cliffs_delta_matches_effsize_example():
    # R effsize (Torchiano) documented example, run with the defaults (use.unbiased = TRUE,
    # use.normal = FALSE):
    # cliff.delta(c(10,10,20,20,20,30,30,30,40,50), c(10,20,30,40,40,50))
    #   delta estimate: -0.25 (small); 95 percent confidence interval: -0.7265846 0.3890062
    r = row(cliffs_delta([10, 10, 20, 20, 20, 30, 30, 30, 40, 50], [10, 20, 30, 40, 40, 50]))
    assert r["estimate"] == -0.25
    assert r["ci_low"] == pytest.approx(-0.7265846, abs=1e-7)
    assert r["ci_high"] == pytest.approx(0.3890062, abs=1e-7)


def test_cliffs_delta_by_hand_and_r():
    # x > y in 15 of 20 pairs, x < y in 5: delta = 10/20 = 0.5.
    # Interval: R re-implementation of effsize::cliff.delta.default's formulas:
    # cliff <- function(x, y, conf=0.95, unbiased=TRUE, normal=FALSE) {
    #   n1 <- length(x); n2 <- length(y)
    #   dom <- sign(outer(x, y, "-")); d <- mean(dom); di <- rowMeans(dom); dj <- colMeans(dom)
    #   SSR <- sum((dom-d)^2)
    #   if (unbiased) s2 <- (n2^2*sum((di-d)^2) + n1^2*sum((dj-d)^2) - SSR) / (n1*n2*(n1-1)*(n2-1))
    #   else s2 <- ((n2-1)*sum((di-d)^2)/(n1-1) + (n1-1)*sum((dj-d)^2)/(n2-1) + SSR/((n1-1)*(n2-1)))/(n1*n2)
    #   s2 <- max(s2, (1-d^2)/(n1*n2-1))
    #   z <- if (normal) qnorm(1-(1-conf)/2) else qt(1-(1-conf)/2, n1+n2-2)
    #   r <- z*sqrt(s2)*sqrt((1-d^2)^2 + z^2*s2); den <- 1-d^2+z^2*s2
    #   c(d, (d-d^3-r)/den, (d-d^3+r)/den) }
    # cliff(c(1.5,2.5,3,4,8), c(1,2,2.2,3.1))               # 0.5 -0.3673968857 0.9022189421
    # cliff(c(1.5,2.5,3,4,8), c(1,2,2.2,3.1), normal=TRUE)  # 0.5 -0.2487270016 0.8746814801
    # cliff(c(1,2,3), c(1,1,2))                             # 0.4444444444 -0.6277851538 0.9345616287
    # cliff(tr, co, unbiased=FALSE, normal=TRUE)  (effsize example data)  # -0.25 -0.7125350951 0.3639998950
    x, y = [1.5, 2.5, 3, 4, 8], [1, 2, 2.2, 3.1]
    r = row(cliffs_delta(x, y))
    assert r["estimate"] == 0.5
    assert r["ci_low"] == pytest.approx(-0.3673968857, abs=1e-9)
    assert r["ci_high"] == pytest.approx(0.9022189421, abs=1e-9)
    r = row(cliffs_delta(x, y, distribution="normal"))
    assert (r["ci_low"], r["ci_high"]) == pytest.approx((-0.2487270016, 0.8746814801), abs=1e-9)
    r = row(cliffs_delta([1, 2, 3], [1, 1, 2]))
    assert r["estimate"] == pytest.approx(4 / 9)
    assert (r["ci_low"], r["ci_high"]) == pytest.approx((-0.6277851538, 0.9345616287), abs=1e-9)
    r = row(cliffs_delta([10, 10, 20, 20, 20, 30, 30, 30, 40, 50], [10, 20, 30, 40, 40, 50],
                         variance="consistent", distribution="normal"))
    assert (r["ci_low"], r["ci_high"]) == pytest.approx((-0.7125350951, 0.3639998950), abs=1e-9)


def test_cliffs_delta_complete_separation():
    r = row(cliffs_delta([5, 6, 7], [1, 2, 3]))
    assert (r["estimate"], r["ci_low"], r["ci_high"]) == (1.0, 1.0, 1.0)


def test_rank_biserial_matches_mann_whitney():
    # R: wilcox.test(c(1.5,2.5,3,4,8), c(1,2,2.2,3.1), exact=TRUE)  ->  W = 15, p-value = 0.2857
    # r = 2*15/20 - 1 = 0.5; CI tanh(atanh(.5) -/+ 1.959964*sqrt(10/60))
    r = row(rank_biserial([1.5, 2.5, 3, 4, 8], [1, 2, 2.2, 3.1]))
    assert r["statistic"] == 15
    assert r["p"] == pytest.approx(0.2857142857, abs=1e-9)
    assert r["estimate"] == 0.5
    se = np.sqrt(10 / 60)
    assert r["ci_low"] == pytest.approx(np.tanh(np.arctanh(0.5) - 1.959963985 * se), abs=1e-8)
    assert r["ci_high"] == pytest.approx(np.tanh(np.arctanh(0.5) + 1.959963985 * se), abs=1e-8)


samples = st.lists(st.integers(-5, 5), min_size=2, max_size=15)


@settings(max_examples=60, deadline=None)
@given(samples, samples)
def test_cliffs_delta_properties(x, y):
    a = row(cliffs_delta(x, y))
    b = row(cliffs_delta(y, x))
    # Antisymmetric, bounded, interval contains the estimate, equal to the rank-biserial r.
    assert a["estimate"] == pytest.approx(-b["estimate"])
    assert a["ci_low"] == pytest.approx(-b["ci_high"], abs=1e-9)
    assert -1 <= a["ci_low"] <= a["estimate"] + 1e-12 <= a["ci_high"] + 2e-12 <= 1 + 3e-12
    brute = np.mean([np.sign(xi - yj) for xi in x for yj in y])
    assert a["estimate"] == pytest.approx(brute)
    assert row(rank_biserial(x, y))["estimate"] == pytest.approx(brute)


def test_rate_ratio_matches_poisson_test():
    # R: p <- poisson.test(c(20,10), c(100,100)); c(p$estimate, p$conf.int, p$p.value)
    #    2.0000000000 0.8935088904 4.7845524403 0.0987371467
    r = row(rate_ratio(20, 100, 10, 100))
    assert r["estimate"] == 2.0
    assert r["ci_low"] == pytest.approx(0.8935088904, abs=1e-8)
    assert r["ci_high"] == pytest.approx(4.7845524403, abs=1e-8)
    assert r["p"] == pytest.approx(0.0987371467, abs=1e-9)
    # R: poisson.test(c(7,0), c(50,80))  ->  Inf  [2.3060936301, Inf]  p = 0.0012450493
    r = row(rate_ratio(7, 50, 0, 80))
    assert np.isinf(r["estimate"]) and np.isinf(r["ci_high"])
    assert r["ci_low"] == pytest.approx(2.3060936301, abs=1e-8)
    assert r["p"] == pytest.approx(0.0012450493, abs=1e-9)


def test_rate_ratio_wald_by_hand():
    r = row(rate_ratio(20, 100, 10, 100, method="wald"))
    se = np.sqrt(1 / 20 + 1 / 10)
    assert r["ci_low"] == pytest.approx(2 * np.exp(-1.959963985 * se), rel=1e-8)
    assert r["ci_high"] == pytest.approx(2 * np.exp(1.959963985 * se), rel=1e-8)
    with pytest.raises(ValueError, match="both counts > 0"):
        rate_ratio(3, 10, 0, 10, method="wald")
    with pytest.raises(ValueError, match="exposures must be > 0"):
        rate_ratio(3, 0, 1, 10)


def test_odds_ratio_woolf_by_hand():
    # [[10, 20], [5, 40]]: OR = 10*40/(20*5) = 4; SE(log OR) = sqrt(1/10+1/20+1/5+1/40) = sqrt(0.375)
    r = row(odds_ratio([[10, 20], [5, 40]]))
    se = np.sqrt(0.375)
    assert r["estimate"] == pytest.approx(4.0)
    assert r["ci_low"] == pytest.approx(4 * np.exp(-1.959963985 * se), rel=1e-8)  # 1.2045
    assert r["ci_high"] == pytest.approx(4 * np.exp(1.959963985 * se), rel=1e-8)  # 13.2835
    assert (r["n1"], r["n2"]) == (30, 45)
    assert row(odds_ratio(10, 20, 5, 40))["estimate"] == pytest.approx(4.0)


def test_odds_ratio_exact_matches_fisher_test():
    # R: f <- fisher.test(matrix(c(10,5,20,40), 2)); c(f$estimate, f$conf.int, f$p.value)
    #    3.9208833708 1.0516959358 16.7196004575 0.0365385119
    # (scipy and R solve the conditional-MLE equations with different root finders: agree to 1e-3.)
    r = row(odds_ratio(10, 20, 5, 40, method="exact"))
    assert r["estimate"] == pytest.approx(3.9208833708, rel=1e-4)
    assert r["ci_low"] == pytest.approx(1.0516959358, rel=1e-3)
    assert r["ci_high"] == pytest.approx(16.7196004575, rel=1e-3)
    assert r["p"] == pytest.approx(0.0365385119, abs=1e-9)


def test_odds_ratio_zero_cell():
    with pytest.raises(ValueError, match="haldane=True"):
        odds_ratio(0, 20, 5, 40)
    # Haldane: (0.5*40.5) / (20.5*5.5)
    assert row(odds_ratio(0, 20, 5, 40, haldane=True))["estimate"] == pytest.approx(0.5 * 40.5 / (20.5 * 5.5))
    with pytest.raises(ValueError, match="2x2"):
        odds_ratio([[1, 2, 3], [4, 5, 6]])
    with pytest.raises(ValueError, match="all four cells"):
        odds_ratio(1, 2)
