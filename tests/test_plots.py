"""The figures show the numbers they are given: plotted data, error bars, labels."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from omotenashi_research.plots import (
    forest_plot,
    predicted_probabilities,
    rate_comparison,
    satisfaction_trajectory,
    trajectory_summary,
)


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def test_forest_plot_draws_estimates_and_intervals():
    eff = pd.DataFrame({"feature": ["apology", "thanks", "empathy"], "effect": "hedges_g",
                        "estimate": [0.8, -0.1, 0.3], "ci_low": [0.5, -0.4, 0.0], "ci_high": [1.1, 0.2, 0.7]})
    ax = forest_plot(eff)
    points = ax.lines[0]
    np.testing.assert_allclose(points.get_xdata(), [0.8, -0.1, 0.3])
    np.testing.assert_allclose(points.get_ydata(), [0, 1, 2])
    segments = ax.collections[0].get_segments()
    assert len(segments) == 3
    np.testing.assert_allclose([s[:, 0] for s in segments], [[0.5, 1.1], [-0.4, 0.2], [0.0, 0.7]])
    assert [t.get_text() for t in ax.get_yticklabels()] == ["apology", "thanks", "empathy"]
    assert ax.get_ylim()[0] > ax.get_ylim()[1]  # first row on top
    ref = [ln for ln in ax.lines if ln is not points][-1]
    assert list(ref.get_xdata()) == [0, 0]
    assert ax.get_xlabel() == "hedges g" and ax.get_xscale() == "linear"


def test_forest_plot_ratio_effects_use_log_scale_and_reference_one():
    eff = pd.DataFrame({"feature": ["apology"], "effect": ["rate_ratio"], "estimate": [2.0],
                        "ci_low": [1.5], "ci_high": [3.0]})
    ax = forest_plot(eff)
    assert ax.get_xscale() == "log"
    assert list(ax.lines[-1].get_xdata()) == [1, 1]


def test_forest_plot_errors():
    eff = pd.DataFrame({"feature": ["a"], "estimate": [2.0], "ci_low": [2.5], "ci_high": [3.0]})
    with pytest.raises(ValueError, match=r"does not contain the estimate for \['a'\]"):
        forest_plot(eff)
    with pytest.raises(ValueError, match=r"'ci_low' is missing or not finite for feature \['a'\]"):
        forest_plot(eff.assign(ci_low=np.nan))
    with pytest.raises(KeyError, match="ci_high"):
        forest_plot(eff.drop(columns="ci_high"))


def test_forest_plot_uses_given_axes():
    fig, (a1, a2) = plt.subplots(1, 2)
    eff = pd.DataFrame({"feature": ["a"], "estimate": [0.0], "ci_low": [-1.0], "ci_high": [1.0]})
    assert forest_plot(eff, ax=a2) is a2
    assert not a1.lines


def test_rate_comparison_bars_and_error_bars():
    d = pd.DataFrame({"feature": ["apology", "apology", "thanks", "thanks"],
                      "group": ["ja", "en", "ja", "en"],
                      "rate": [3.1, 1.2, 5.0, 4.0], "ci_low": [2.5, 0.9, 4.0, 3.5],
                      "ci_high": [3.8, 1.6, 6.0, 4.4]})
    ax = rate_comparison(d)
    from matplotlib.container import BarContainer

    bars = [c for c in ax.containers if isinstance(c, BarContainer)]
    assert len(bars) == 2
    ja, en = bars
    assert [b.get_height() for b in ja] == [3.1, 5.0]
    assert [b.get_height() for b in en] == [1.2, 4.0]
    # Bars of the same category sit side by side, centred on the tick.
    centres = [b.get_x() + b.get_width() / 2 for b in (ja[0], en[0])]
    assert np.mean(centres) == pytest.approx(0.0)
    err = ja.errorbar.lines[2][0].get_segments()
    np.testing.assert_allclose([s[:, 1] for s in err], [[2.5, 3.8], [4.0, 6.0]])
    assert [t.get_text() for t in ax.get_xticklabels()] == ["apology", "thanks"]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["ja", "en"]


def test_rate_comparison_duplicates_rejected():
    d = pd.DataFrame({"feature": ["a", "a"], "group": ["ja", "ja"], "rate": [1.0, 2.0],
                      "ci_low": [0.5, 1.5], "ci_high": [1.5, 2.5]})
    with pytest.raises(ValueError, match=r"rows \[0, 1\] repeat"):
        rate_comparison(d)


def utterances() -> pd.DataFrame:
    # Three dialogues; agent turns are unrated (NaN) as in USS.
    return pd.DataFrame({
        "dialogue_id": ["a"] * 4 + ["b"] * 4 + ["c"] * 2,
        "turn": [0, 1, 2, 3, 0, 1, 2, 3, 0, 1],
        "lang": ["en"] * 8 + ["ja"] * 2,
        "sat_turn": [3, np.nan, 4, np.nan, 2, np.nan, 5, np.nan, 3, 4],
    })


def test_trajectory_summary_by_hand():
    s = trajectory_summary(utterances())
    en = s[s["group"] == "en"]
    assert en["position"].tolist() == [0, 2]
    assert en["mean"].tolist() == [2.5, 4.5]
    assert en["n_dialogues"].tolist() == [2, 2]
    # t interval over the 2 dialogues at turn 0: 2.5 +/- t(0.975, 1) * sd(3, 2) / sqrt(2) = 2.5 +/- 6.353
    half = 12.706204736 * np.std([3, 2], ddof=1) / np.sqrt(2)
    assert en["ci_high"].iloc[0] == pytest.approx(2.5 + half, rel=1e-8)
    ja = s[s["group"] == "ja"]
    assert ja["n_dialogues"].tolist() == [1, 1] and ja["ci_low"].isna().all()


def test_trajectory_summary_relative_positions_average_within_dialogue():
    d = pd.DataFrame({"dialogue_id": ["a"] * 5 + ["b"] * 3, "turn": [0, 1, 2, 3, 4, 0, 1, 2],
                      "lang": "en", "sat_turn": [1, 2, 3, 4, 5, 2, 2, 4]})
    s = trajectory_summary(d, relative=True, n_bins=2)
    # a: rel 0, .25, .5, .75, 1 -> bins 0,0,1,1,1 -> means 1.5, 4; b: rel 0, .5, 1 -> bins 0,1,1 -> 2, 3
    assert s["position"].tolist() == [0.25, 0.75]
    assert s["mean"].tolist() == [1.75, 3.5]
    assert s["n_dialogues"].tolist() == [2, 2]


def test_satisfaction_trajectory_lines_and_bands():
    ax = satisfaction_trajectory(utterances())
    labels = [ln.get_label() for ln in ax.lines]
    assert labels == ["en", "ja"]
    assert ax.lines[0].get_xdata().tolist() == [0, 2]
    assert ax.lines[0].get_ydata().tolist() == [2.5, 4.5]
    assert ax.lines[1].get_ydata().tolist() == [3.0, 4.0]
    assert len(ax.collections) == 2
    ax2 = satisfaction_trajectory(utterances(), min_dialogues=2)
    assert [ln.get_label() for ln in ax2.lines] == ["en"]
    assert ax2.omitted_positions["group"].tolist() == ["ja", "ja"]


def test_satisfaction_trajectory_bad_values():
    d = utterances().astype({"sat_turn": object})
    d.loc[2, "sat_turn"] = "good"
    with pytest.raises(ValueError, match=r"rows \[2\]"):
        satisfaction_trajectory(d)


def pred() -> pd.DataFrame:
    xs = [0.0, 0.5, 1.0]
    low = [0.6, 0.4, 0.2]
    mid = [0.3, 0.4, 0.3]
    return pd.DataFrame({
        "x": np.repeat(xs, 3), "category": ["dissatisfied", "neutral", "satisfied"] * 3,
        "prob": np.ravel([[lo, m, 1 - lo - m] for lo, m in zip(low, mid, strict=True)]),
    })


def test_predicted_probabilities_lines():
    ax = predicted_probabilities(pred())
    assert [ln.get_label() for ln in ax.lines] == ["dissatisfied", "neutral", "satisfied"]
    np.testing.assert_allclose(ax.lines[0].get_ydata(), [0.6, 0.4, 0.2])
    np.testing.assert_allclose(ax.lines[2].get_ydata(), [0.1, 0.2, 0.5])
    np.testing.assert_allclose(ax.lines[0].get_xdata(), [0.0, 0.5, 1.0])
    assert not ax.collections  # no interval columns: no bands
    with_ci = pred().assign(ci_low=lambda d: d["prob"] - 0.05, ci_high=lambda d: d["prob"] + 0.05)
    assert len(predicted_probabilities(with_ci).collections) == 3


def test_predicted_probabilities_from_predict_proba_layout():
    grid = pd.DataFrame({"politeness": [0.0, 0.5, 1.0]}, index=[10, 11, 12])
    p = pred().assign(row=np.repeat([10, 11, 12], 3)).drop(columns="x")
    ax = predicted_probabilities(p, x="politeness", newdata=grid)
    np.testing.assert_allclose(ax.lines[1].get_xdata(), [0.0, 0.5, 1.0])
    assert ax.get_xlabel() == "politeness"


def test_predicted_probabilities_checks_sum():
    bad = pred().iloc[:-1]
    with pytest.raises(ValueError, match="x=1.0.* sum to 0.5000"):
        predicted_probabilities(bad)


def test_figures_are_deterministic(tmp_path):
    outs = []
    for k in range(2):
        fig, ax = plt.subplots()
        predicted_probabilities(pred(), ax=ax)
        path = tmp_path / f"f{k}.png"
        fig.savefig(path, dpi=80)
        outs.append(path.read_bytes())
    assert outs[0] == outs[1]


def test_forest_plot_of_compare_groups_output():
    from omotenashi_research.stats.compare import compare_groups

    rng = np.random.default_rng(0)
    d = np.repeat(np.arange(20), 4)
    df = pd.DataFrame({"dialogue_id": d, "lang": np.where(d < 10, "ja", "en"),
                       "apology": rng.poisson(np.where(d < 10, 0.6, 0.2)),
                       "thanks": rng.poisson(0.5, d.size)})
    res = compare_groups(df, ["apology", "thanks"], "lang", groups=("ja", "en"), effect="rate_ratio",
                         method="welch")
    ax = forest_plot(res)
    np.testing.assert_allclose(ax.lines[0].get_xdata(), res["estimate"])
    assert ax.get_xscale() == "log" and ax.get_xlabel() == "rate ratio"


# ------------------------------------------------------------------------------------------------
# Japanese text in figures


def _glyph_warnings() -> list[str]:
    """Draw a figure with Japanese title, tick and legend labels; return the missing-glyph warnings."""
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig, ax = plt.subplots()
        ax.bar([0, 1], [0.4, 0.6], label="お詫び率")
        ax.set_title("日本語と英語の接客 (USS, ASDC)")
        ax.set_xticks([0, 1], ["敬語あり", "English"])
        ax.set_ylabel("受容・共感")
        ax.legend()
        fig.canvas.draw()
    return [str(w.message) for w in caught if "missing from font" in str(w.message)
            or "Glyph" in str(w.message)]


def test_default_font_misses_japanese_glyphs():
    # the failing side: without use_japanese_font, DejaVu Sans has no kana/kanji and matplotlib warns
    with matplotlib.rc_context({"font.family": ["sans-serif"], "font.sans-serif": ["DejaVu Sans"]}):
        missing = _glyph_warnings()
    assert missing and any("DejaVu Sans" in m for m in missing)


def test_use_japanese_font_draws_japanese_without_missing_glyphs():
    from matplotlib import font_manager

    from omotenashi_research.plots import JAPANESE_FONT, use_japanese_font

    with matplotlib.rc_context({"font.family": ["sans-serif"], "font.sans-serif": ["DejaVu Sans"]}):
        assert use_japanese_font() == JAPANESE_FONT == "IPAexGothic"
        family = list(matplotlib.rcParams["font.family"])
        n_fonts = len(font_manager.fontManager.ttflist)
        assert use_japanese_font() == "IPAexGothic"  # idempotent: same state, font registered once
        assert list(matplotlib.rcParams["font.family"]) == family == ["sans-serif", "IPAexGothic"]
        assert len(font_manager.fontManager.ttflist) == n_fonts
        assert sum(f.name == "IPAexGothic" for f in font_manager.fontManager.ttflist) == 1
        assert _glyph_warnings() == []
        # Latin text keeps the base font, so English figures look as before
        assert font_manager.findfont(font_manager.FontProperties(family=[family[0]])).endswith(
            "DejaVuSans.ttf")
