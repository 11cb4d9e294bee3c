"""Simulated service dialogues with planted effects, for power analysis and checking the models.

The generating model (all documented in ``df.attrs["truth"]``):

1. Dialogue ``d`` has ``T_d ~ Uniform{turns[0]..turns[1]}`` utterances; roles alternate,
   starting with ``first_role`` (customer opens by default). Dialogues alternate between the
   two ``groups`` (e.g. ``"en"``, ``"ja"``), first group first.
2. Each utterance has ``n_tokens = 1 + Poisson(tokens_mean - 1)`` tokens.
3. Agent utterances carry marker counts ``Poisson(n_tokens * rate_m * RR_gm * exp(u_dm))``
   (``RR_gm`` = ``group_rate_ratios[m]`` in the second group, 1 in the first) with a
   dialogue random effect ``u_dm ~ Normal(-s^2/2, s)``, ``s = dialogue_sd``, independent per
   marker. The ``-s^2/2`` makes ``E[exp(u)] = 1``, so ``rate_m`` is the population-average rate
   per token of the first group -- what a Poisson GLM/GEE intercept estimates -- and ``RR`` the
   population-average rate ratio of the second group. The random effect makes counts in
   one dialogue correlated (over-dispersed) like real transcripts. Customer rows get 0.
4. Dialogue satisfaction 1..K from an ordinal logit:
   ``latent_d = sum_m beta_m * x_dm + Logistic(0, 1)``, ``sat = 1 + #{thresholds < latent}``,
   with ``x_dm`` = observed markers ``m`` per 100 agent tokens of the dialogue. Fitting
   ``fit_ordinal(dialogue_summary(df), "sat_dialogue ~ apology_per100 + ...")`` therefore
   estimates exactly the planted ``effects`` and ``thresholds``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from omotenashi_research.errors import OmotenashiError

__all__ = [
    "DEFAULT_EFFECTS",
    "DEFAULT_MARKER_RATES",
    "DEFAULT_THRESHOLDS",
    "SimulationInputError",
    "dialogue_summary",
    "simulate_dialogues",
]

# Rough orders of magnitude of marker rates per agent token in service chats (illustrative).
DEFAULT_MARKER_RATES: dict[str, float] = {"apology": 0.02, "thanks": 0.04, "empathy": 0.01}
# Log-odds change of a higher rating per extra marker per 100 agent tokens.
DEFAULT_EFFECTS: dict[str, float] = {"apology": 0.3, "thanks": 0.2, "empathy": 0.0}
# Cut points on the latent scale; with the defaults all five ratings occur often.
DEFAULT_THRESHOLDS: tuple[float, ...] = (-0.5, 0.5, 1.5, 2.5)


class SimulationInputError(OmotenashiError, ValueError):
    """A simulation parameter is out of range; the message names it."""


def _check(
    n_dialogues: int,
    turns: tuple[int, int],
    tokens_mean: float,
    rates: Mapping[str, float],
    effects: Mapping[str, float],
    dialogue_sd: float,
    thresholds: Sequence[float],
    first_role: str,
) -> None:
    if isinstance(n_dialogues, bool) or not isinstance(n_dialogues, (int, np.integer)) or n_dialogues < 1:
        raise SimulationInputError(f"n_dialogues must be an integer >= 1, got {n_dialogues!r}")
    ints = len(turns) == 2 and all(isinstance(t, (int, np.integer)) for t in turns)
    if not ints or not 2 <= turns[0] <= turns[1]:
        raise SimulationInputError(
            f"turns must be (min, max) integers with 2 <= min <= max (every dialogue needs an agent turn), "
            f"got {turns!r}")
    if not np.isfinite(tokens_mean) or tokens_mean < 1:
        raise SimulationInputError(f"tokens_mean must be >= 1, got {tokens_mean!r}")
    if not rates:
        raise SimulationInputError("marker_rates is empty: give at least one marker")
    for m, r in rates.items():
        if not isinstance(m, str) or not m.isidentifier():
            raise SimulationInputError(f"marker name {m!r} must be a valid identifier (it becomes a column)")
        if not (np.isfinite(r) and 0 <= r <= 1):
            raise SimulationInputError(f"marker_rates[{m!r}] must be a rate per token in [0, 1], got {r!r}")
    unknown = sorted(set(effects) - set(rates))
    if unknown:
        raise SimulationInputError(f"effects for marker(s) {unknown} that have no rate in marker_rates")
    bad = {m: b for m, b in effects.items() if not np.isfinite(b)}
    if bad:
        raise SimulationInputError(f"effects must be finite, got {bad}")
    if not (np.isfinite(dialogue_sd) and dialogue_sd >= 0):
        raise SimulationInputError(f"dialogue_sd must be >= 0, got {dialogue_sd!r}")
    th = np.asarray(thresholds, dtype=float)
    if th.ndim != 1 or len(th) < 1 or not np.isfinite(th).all() or (np.diff(th) <= 0).any():
        raise SimulationInputError(
            f"thresholds must be finite and strictly increasing, got {tuple(thresholds)!r}")
    if first_role not in ("customer", "agent"):
        raise SimulationInputError(f"first_role must be 'customer' or 'agent', got {first_role!r}")


def simulate_dialogues(
    n_dialogues: int,
    *,
    turns: tuple[int, int] = (6, 14),
    tokens_mean: float = 12.0,
    marker_rates: Mapping[str, float] | None = None,
    effects: Mapping[str, float] | None = None,
    dialogue_sd: float = 0.5,
    thresholds: Sequence[float] = DEFAULT_THRESHOLDS,
    groups: tuple[str, str] = ("en", "ja"),
    group_rate_ratios: Mapping[str, float] | None = None,
    first_role: str = "customer",
    seed: int | np.random.Generator | None = None,
    corpus: str = "simulated",
) -> pd.DataFrame:
    """Simulate service dialogues with marker counts and an ordinal satisfaction rating.

    Parameters
    ----------
    n_dialogues : int
        Number of dialogues.
    turns : (int, int)
        Inclusive range of utterances per dialogue (min >= 2 so every dialogue has an agent turn).
    tokens_mean : float
        Mean tokens per utterance (``1 + Poisson(tokens_mean - 1)``).
    marker_rates : mapping, optional
        Marker name -> population-average rate per agent token; default
        :data:`DEFAULT_MARKER_RATES`.
    effects : mapping, optional
        Marker name -> ordinal-logit coefficient of its rate per 100 agent tokens; markers not
        listed get 0. Default :data:`DEFAULT_EFFECTS` (restricted to the given markers).
    dialogue_sd : float
        SD of the dialogue random effect on the log marker rates (0 = plain Poisson). For a
        turn with expected count ``lam`` the within-dialogue correlation of counts is
        ``lam (e^{s^2} - 1) / (1 + lam (e^{s^2} - 1))``.
    thresholds : sequence of float
        Increasing latent cut points; ``len(thresholds) + 1`` rating categories.
    groups : (str, str)
        Labels of the two dialogue groups (column ``group``); dialogues alternate between them.
    group_rate_ratios : mapping, optional
        Marker name -> rate ratio of the second group vs the first (default: all 1).
    first_role : {"customer", "agent"}
    seed : int or numpy.random.Generator, optional
    corpus : str
        Value of the ``corpus`` column.

    Returns
    -------
    pandas.DataFrame
        One row per utterance: ``corpus, dialogue_id, group, turn, role, n_tokens``, one count
        column per marker, ``sat_dialogue`` (int, repeated on each row of the dialogue).
        ``attrs["truth"]`` holds every generating parameter. There is no ``text`` column: the
        table is utterance-*like*, for feature-level analyses, not for ``validate_utterances``.

    Examples
    --------
    >>> df = simulate_dialogues(3, seed=1)
    >>> list(df.columns)[:6]
    ['corpus', 'dialogue_id', 'group', 'turn', 'role', 'n_tokens']
    >>> df["dialogue_id"].nunique(), df.attrs["truth"]["effects"]["apology"]
    (3, 0.3)
    """
    rates = dict(DEFAULT_MARKER_RATES if marker_rates is None else marker_rates)
    if effects is None:
        effects = {m: DEFAULT_EFFECTS.get(m, 0.0) for m in rates}
    rr = dict(group_rate_ratios or {})
    _check(n_dialogues, turns, tokens_mean, rates, effects, dialogue_sd, thresholds, first_role)
    unknown = sorted(set(rr) - set(rates))
    if unknown:
        raise SimulationInputError(
            f"group_rate_ratios for marker(s) {unknown} that have no rate in marker_rates")
    if any(not (np.isfinite(v) and v > 0) for v in rr.values()):
        raise SimulationInputError(f"group_rate_ratios must be > 0, got {rr}")
    if len(groups) != 2 or groups[0] == groups[1]:
        raise SimulationInputError(f"groups must be two distinct labels, got {groups!r}")
    betas = {m: float(effects.get(m, 0.0)) for m in rates}
    th = np.asarray(thresholds, dtype=float)
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    markers = list(rates)

    n_turns = rng.integers(turns[0], turns[1] + 1, size=n_dialogues)
    dia = np.repeat(np.arange(n_dialogues), n_turns)
    # position within dialogue: global index minus the dialogue's start
    turn = np.arange(len(dia)) - np.repeat(np.cumsum(n_turns) - n_turns, n_turns)
    agent = (turn % 2 == 0) if first_role == "agent" else (turn % 2 == 1)
    n_tokens = 1 + rng.poisson(tokens_mean - 1, size=len(dia))
    u = rng.normal(-(dialogue_sd**2) / 2, dialogue_sd, size=(n_dialogues, len(markers)))
    second = np.arange(n_dialogues) % 2 == 1
    ratio = np.where(second[:, None], np.array([rr.get(m, 1.0) for m in markers])[None, :], 1.0)
    lam = n_tokens[:, None] * np.array([rates[m] for m in markers])[None, :] * np.exp(u[dia]) * ratio[dia]
    counts = rng.poisson(lam) * agent[:, None]

    agent_tokens = np.bincount(dia, weights=n_tokens * agent, minlength=n_dialogues)
    per100 = np.stack([np.bincount(dia, weights=counts[:, j], minlength=n_dialogues) for j in
                       range(len(markers))], axis=1) * 100 / agent_tokens[:, None]
    latent = per100 @ np.array([betas[m] for m in markers]) + rng.logistic(0, 1, size=n_dialogues)
    sat = 1 + np.searchsorted(th, latent)

    width = max(4, len(str(n_dialogues)))
    ids = np.array([f"sim-{i:0{width}d}" for i in range(n_dialogues)])
    df = pd.DataFrame({
        "corpus": corpus,
        "dialogue_id": ids[dia],
        "group": np.where(second, groups[1], groups[0])[dia],
        "turn": turn.astype(int),
        "role": np.where(agent, "agent", "customer"),
        "n_tokens": n_tokens.astype(int),
        **{m: counts[:, j].astype(int) for j, m in enumerate(markers)},
        "sat_dialogue": sat[dia].astype(int),
    })
    df.attrs["truth"] = {
        "marker_rates": rates,
        "effects": betas,
        "thresholds": tuple(float(t) for t in th),
        "dialogue_sd": float(dialogue_sd),
        "groups": tuple(groups),
        "group_rate_ratios": {m: float(rr.get(m, 1.0)) for m in markers},
        "covariate": "markers per 100 agent tokens of the dialogue",
        "link": "logit",
        "turns": tuple(turns),
        "tokens_mean": float(tokens_mean),
        "first_role": first_role,
        "seed": seed if not isinstance(seed, np.random.Generator) else None,
    }
    return df


def dialogue_summary(utterances: pd.DataFrame, markers: Sequence[str] | None = None) -> pd.DataFrame:
    """One row per dialogue: agent tokens, marker counts and rates per 100 agent tokens, rating.

    Parameters
    ----------
    utterances : pandas.DataFrame
        Output of :func:`simulate_dialogues` (or any table with ``dialogue_id, role,
        n_tokens, sat_dialogue`` and marker count columns).
    markers : sequence of str, optional
        Marker columns; default ``attrs["truth"]["marker_rates"]`` keys.

    Returns
    -------
    pandas.DataFrame
        ``dialogue_id, [group,] agent_tokens, <m>, <m>_per100 ..., sat_dialogue`` -- the design the
        simulator's satisfaction model is written in.

    Examples
    --------
    >>> s = dialogue_summary(simulate_dialogues(2, seed=0))
    >>> list(s.columns[:4]), len(s)
    (['dialogue_id', 'group', 'agent_tokens', 'apology'], 2)
    """
    if markers is None:
        truth = utterances.attrs.get("truth")
        if not truth:
            raise SimulationInputError("dialogue_summary: give markers= (the table has no attrs['truth'])")
        markers = list(truth["marker_rates"])
    needed = ["dialogue_id", "role", "n_tokens", "sat_dialogue", *markers]
    missing = [c for c in needed if c not in utterances.columns]
    if missing:
        raise SimulationInputError(f"dialogue_summary: column(s) {missing} missing")
    agent = utterances[utterances["role"] == "agent"]
    g = agent.groupby("dialogue_id", sort=True)
    out = g[list(markers)].sum()
    out.insert(0, "agent_tokens", g["n_tokens"].sum())
    for m in markers:
        out[f"{m}_per100"] = 100 * out[m] / out["agent_tokens"]
    sat = utterances.groupby("dialogue_id", sort=True)["sat_dialogue"].agg(["first", "nunique"])
    varying = sat.index[sat["nunique"] > 1]
    if len(varying):
        raise SimulationInputError(f"dialogue_summary: sat_dialogue differs within dialogue {varying[0]!r}")
    no_agent = sat.index.difference(out.index)
    if len(no_agent):
        raise SimulationInputError(f"dialogue_summary: dialogue {no_agent[0]!r} has no agent utterance")
    out["sat_dialogue"] = sat["first"]
    if "group" in utterances.columns:
        out.insert(0, "group", utterances.groupby("dialogue_id", sort=True)["group"].first())
    return out.reset_index()
