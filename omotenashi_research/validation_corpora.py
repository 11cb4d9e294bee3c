"""Validation of the markers against labelled corpora: KeiCO (keigo), MAIA-DQE and Stanford politeness.

:func:`validate_keigo` scores our sonkeigo/kenjougo/teineigo detection against KeiCO's flags,
:func:`validate_maia` our empathy, scriptedness and politeness markers against MAIA-DQE's labels, and
:func:`validate_stanford` a cross-validated logistic regression on our English politeness features.
Each returns a tidy table that :mod:`omotenashi_research.validation` puts in the report and re-exports.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from omotenashi_research.validation_metrics import (
    SEED,
    _predict,
    binary_metrics,
    cv_logit_accuracy,
    ridge_logit,
    stratified_folds,
    wilson_ci,
)

__all__ = ["validate_keigo", "validate_maia", "validate_stanford"]

# Numbers quoted for comparison in the Stanford section (not recomputed here).
PAPER_WIKI_IN_DOMAIN = 0.838  # Danescu-Niculescu-Mizil et al. (ACL 2013), linguistic features, Wikipedia
CONVOKIT_ACCURACY = 0.76  # ConvoKit politeness strategies + logistic regression (approximate)


# --------------------------------------------------------------------------------------------------
# KeiCO

_KEIGO_PAIRS = (("sonkeigo", "respectful"), ("kenjougo", "humble"), ("teineigo", "polite"))


def validate_keigo(
    keico: pd.DataFrame | None = None, features: pd.DataFrame | None = None, *, n_boot: int = 1000
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Our keigo detection vs. KeiCO's respectful (尊敬語), humble (謙譲語) and polite (丁寧語) flags.

    Parameters
    ----------
    keico : pandas.DataFrame, optional
        :func:`~omotenashi_research.datasets.keico.load_keico` output (loaded when omitted).
    features : pandas.DataFrame, optional
        Row-aligned :func:`~omotenashi_research.markers.keigo.keigo_features` output (or a table with
        ``has_sonkeigo``... or ``m_sonkeigo``... columns); computed when omitted.
    n_boot : int
        Bootstrap resamples for the F1 interval.

    Returns
    -------
    metrics : pandas.DataFrame
        One row per ``split`` x ``subset`` x ``form``: ``split`` is ``dev`` (0-based row position
        % 5 == 0, the rows a lexicon author may look at), ``test`` (the other 80 %) or ``all``;
        ``subset`` ``"all rows"`` or ``"no other flag"`` (only sentences where KeiCO sets neither of
        the two other flags: KeiCO flags one form per sentence, so e.g. です in a respectful
        sentence is not flagged polite); ``form`` (sonkeigo/kenjougo/teineigo/any keigo), ``label``
        (KeiCO column), and the :func:`binary_metrics` columns.
    levels : pandas.DataFrame
        One row per KeiCO ``level`` (1 = most honorific) x ``form``: ``n``, ``label_rate`` (share
        of sentences KeiCO flags) and ``detected_rate`` (share where we detect the form).

    Examples
    --------
    >>> import pandas as pd
    >>> k = pd.DataFrame({"level": [1, 3, 4, 1, 3], "respectful": [1, 0, 0, 1, 0],
    ...                   "humble": [0, 0, 0, 1, 0], "polite": [1, 1, 0, 1, 1]}).astype({"respectful": bool})
    >>> f = pd.DataFrame({"sonkeigo": [1, 0, 0, 0, 0], "kenjougo": [0, 0, 0, 1, 1],
    ...                   "teineigo": [1, 1, 0, 1, 1]})
    >>> m, lv = validate_keigo(k, f, n_boot=0)
    >>> row = m.query("split == 'all' and subset == 'all rows' and form == 'sonkeigo'")
    >>> row[["precision", "recall"]].values.tolist()
    [[1.0, 0.5]]
    """
    if keico is None:
        from omotenashi_research.datasets.keico import load_keico

        keico = load_keico()
    if features is None:
        from omotenashi_research.markers.keigo import keigo_features

        features = keigo_features(list(keico["text"]), progress=False)
    if len(features) != len(keico):
        raise ValueError(f"features has {len(features)} rows for {len(keico)} KeiCO sentences")
    pred = {}
    for form, _ in _KEIGO_PAIRS:
        for col in (f"has_{form}", form, f"m_{form}"):
            if col in features.columns:
                pred[form] = pd.to_numeric(features[col]).to_numpy() > 0
                score = pd.to_numeric(features[col]).to_numpy(dtype=float)
                pred[f"{form}_score"] = score
                break
        else:
            raise ValueError(f"features has no column has_{form}, {form} or m_{form}")
    gold = {label: keico[label].astype(bool).to_numpy() for _, label in _KEIGO_PAIRS}
    any_pred = np.any([pred[f] for f, _ in _KEIGO_PAIRS], axis=0)
    any_gold = np.any([gold[lab] for _, lab in _KEIGO_PAIRS], axis=0)
    position = np.arange(len(keico))
    splits = {"dev": position % 5 == 0, "test": position % 5 != 0, "all": np.ones(len(keico), bool)}
    rows = []
    for split, mask in splits.items():
        for subset in ("all rows", "no other flag"):
            for form, label in _KEIGO_PAIRS:
                sel = mask
                if subset == "no other flag":
                    # KeiCO almost never sets two flags on one sentence (45 of 10,007): a sentence with
                    # sonkeigo and です is flagged respectful only. Scoring a form where no other flag is
                    # set separates our errors from that labelling convention.
                    others = [gold[lab] for _, lab in _KEIGO_PAIRS if lab != label]
                    sel = mask & ~np.any(others, axis=0)
                m = binary_metrics(gold[label][sel], pred[form][sel], pred[f"{form}_score"][sel],
                                   n_boot=n_boot)
                rows.append({"split": split, "subset": subset, "form": form, "label": label, **m})
        m = binary_metrics(any_gold[mask], any_pred[mask], n_boot=n_boot)
        rows.append({"split": split, "subset": "all rows", "form": "any keigo", "label": "any flag", **m})
    levels = []
    lv = keico["level"].to_numpy()
    for level in sorted(np.unique(lv)):
        sel = lv == level
        for form, label in _KEIGO_PAIRS:
            levels.append({"level": int(level), "form": form, "n": int(sel.sum()),
                           "label_rate": float(gold[label][sel].mean()),
                           "detected_rate": float(pred[form][sel].mean())})
    return pd.DataFrame(rows), pd.DataFrame(levels)


# --------------------------------------------------------------------------------------------------
# MAIA-DQE

# Markers whose presence we read as "polite wording" in the MAIA politeness check (present ones only).
POLITE_MARKERS = ("gratitude", "apology", "deference", "greeting", "closing", "empathy",
                  "pol_convokit_please", "pol_convokit_gratitude", "pol_convokit_deference",
                  "pol_convokit_apologizing", "pol_r_please", "pol_r_gratitude", "pol_r_apology")


def _maia_sentences(agent: pd.DataFrame) -> pd.DataFrame:
    """One row per agent sentence with its Templated label (turns whose labels align only)."""
    rows = []
    for rec in agent.itertuples(index=False):
        labels = rec.templated
        if not isinstance(labels, tuple) or len(labels) != len(rec.sentences):
            continue
        for i, (sent, lab) in enumerate(zip(rec.sentences, labels, strict=True)):
            if lab is None or (isinstance(lab, float) and math.isnan(lab)) or not str(sent).strip():
                continue
            rows.append({"corpus": rec.corpus, "dialogue_id": rec.dialogue_id, "turn": rec.turn * 1000 + i,
                         "role": "agent", "text": str(sent), "lang": rec.lang, "templated": int(lab)})
    return pd.DataFrame(rows)


def validate_maia(maia: pd.DataFrame | None = None, counts: pd.DataFrame | None = None, *,
                  min_dialogues: int = 5, n_boot: int = 1000) -> pd.DataFrame:
    """Empathy, scriptedness and politeness markers vs. MAIA-DQE's human labels (agent turns).

    Parameters
    ----------
    maia : pandas.DataFrame, optional
        ``load_maia(text="original")`` output: the agent's own English text (loaded when omitted).
    counts : pandas.DataFrame, optional
        Marker counts aligned with the **agent** rows of ``maia`` (``count_markers`` columns or
        ``m_<marker>``); computed when omitted.
    min_dialogues : int
        Passed to :func:`~omotenashi_research.scripted.scriptedness`.
    n_boot : int
        Bootstrap resamples for the F1 interval.

    Returns
    -------
    pandas.DataFrame
        One row per check: ``check`` (``empathy``, ``templated (sentence)``, ``templated (turn)``,
        ``politeness``), ``unit``, ``gold`` (how the label is defined), ``predictor``, and the
        :func:`binary_metrics` columns. The politeness label is nearly constant (663 polite / 4 not /
        11 null agent turns in de_client_02, SOURCE.md), so its AUC is not informative.
    """
    from omotenashi_research.scripted import scriptedness

    if maia is None:
        from omotenashi_research.datasets.maia import load_maia

        maia = load_maia(text="original")
    agent = maia[maia["role"] == "agent"].reset_index(drop=True)
    if counts is None:
        from omotenashi_research.markers import count_markers

        counts = count_markers(list(agent["text"]), "en", progress=False)
    counts = counts.rename(columns=lambda c: c[2:] if c.startswith("m_") else c).reset_index(drop=True)
    if len(counts) != len(agent):
        raise ValueError(f"counts has {len(counts)} rows for {len(agent)} MAIA agent turns")
    rows = []
    # Empathy: a turn is empathic when any of its (aligned) sentences has Emotion == empathy.
    ok = agent["n_empathy"].notna().to_numpy()
    y = agent.loc[ok, "n_empathy"].astype(int).to_numpy() > 0
    s = counts.loc[ok, "empathy"].to_numpy()
    rows.append({"check": "empathy", "unit": "agent turn", "gold": "any sentence Emotion = empathy",
                 "predictor": "m_empathy > 0 (AUC: count)", **binary_metrics(y, s > 0, s, n_boot=n_boot)})
    # Templated, sentence level: does the sentence's template recur across >= min_dialogues dialogues?
    sents = _maia_sentences(agent)
    if len(sents):
        sc = scriptedness(sents, min_dialogues=min_dialogues)
        y = sents["templated"].to_numpy() == 1
        rows.append({"check": "templated (sentence)", "unit": "agent sentence", "gold": "Templated = 1",
                     "predictor": f"template_recurs (>= {min_dialogues} dialogues; AUC: n dialogues)",
                     **binary_metrics(y, sc["template_recurs"].to_numpy(),
                                      sc["template_n_dialogues"].to_numpy(), n_boot=n_boot)})
    ok = agent["n_templated"].notna().to_numpy()
    sc = scriptedness(agent, min_dialogues=min_dialogues)
    n_sent = agent["n_sentences"].to_numpy()
    y = (agent["n_templated"].fillna(-1).astype(int).to_numpy() == n_sent)[ok]
    rows.append({"check": "templated (turn)", "unit": "agent turn", "gold": "all sentences Templated = 1",
                 "predictor": f"template_recurs (>= {min_dialogues} dialogues; AUC: n dialogues)",
                 **binary_metrics(y, sc["template_recurs"].to_numpy()[ok],
                                  sc["template_n_dialogues"].to_numpy()[ok], n_boot=n_boot)})
    polite_cols = [c for c in POLITE_MARKERS if c in counts.columns]
    ok = agent["politeness"].notna().to_numpy()
    y = agent.loc[ok, "politeness"].astype(int).to_numpy() == 1
    s = counts.loc[ok, polite_cols].sum(axis=1).to_numpy()
    rows.append({"check": "politeness", "unit": "agent turn",
                 "gold": "Politeness = 1 (nearly constant: AUC not informative)",
                 "predictor": "any of " + ", ".join(polite_cols) + " (AUC: their sum)",
                 **binary_metrics(y, s > 0, s, n_boot=n_boot)})
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------------------------------
# Stanford politeness


def _feature_matrix(counts: pd.DataFrame) -> pd.DataFrame:
    """Binary indicators of every marker (the paper's strategies are presence features)."""
    cols = [c for c in counts.columns if c not in ("n_tokens",)]
    return (counts[cols].apply(pd.to_numeric) > 0).astype(float)


def validate_stanford(
    data: pd.DataFrame | None = None, counts: pd.DataFrame | None = None, *, k: int = 10,
    seed: int = SEED, lam: float = 1.0
) -> pd.DataFrame:
    """Predict Stanford politeness (top vs bottom quartile) from our English marker features.

    Logistic regression with a small L2 penalty (:func:`ridge_logit`) on binary indicators of every
    English marker (``pol_convokit_*``, ``pol_r_*`` and the general service markers, whichever the
    lexicons define), seeded stratified ``k``-fold CV in each domain, plus train-on-one /
    test-on-the-other across domains.

    Parameters
    ----------
    data : pandas.DataFrame, optional
        ``load_stanford_politeness()`` output (loaded when omitted).
    counts : pandas.DataFrame, optional
        Marker counts row-aligned with ``data`` (computed when omitted).
    k, seed, lam : int, int, float
        Folds, seed of the fold assignment, ridge penalty.

    Returns
    -------
    pandas.DataFrame
        One row per setting: ``setting`` (``in-domain`` / ``cross-domain``), ``train``, ``test``,
        ``n_train``, ``n_test``, ``n_features``, ``accuracy`` (mean over folds or the single test),
        ``accuracy_sd`` (sd over folds; NaN cross-domain), ``accuracy_low``/``accuracy_high``
        (Wilson 95 % CI of pooled correct predictions) and ``reference`` (published number to compare).
    """
    if data is None:
        from omotenashi_research.datasets.politeness import load_stanford_politeness

        data = load_stanford_politeness()
    if counts is None:
        from omotenashi_research.markers import count_markers

        counts = count_markers(list(data["text"]), "en", progress=False)
    if len(counts) != len(data):
        raise ValueError(f"counts has {len(counts)} rows for {len(data)} requests")
    X_all = _feature_matrix(counts.reset_index(drop=True))
    data = data.reset_index(drop=True)
    labelled = data["polite_label"].notna().to_numpy()
    refs = {("wikipedia", "wikipedia"): f"paper {PAPER_WIKI_IN_DOMAIN:.1%} (linguistic features); "
                                        f"ConvoKit ~{CONVOKIT_ACCURACY:.0%}"}
    rows = []
    domains = [d for d in ("wikipedia", "stack-exchange") if (data["domain"] == d).any()]
    for d in domains:
        sel = labelled & (data["domain"] == d).to_numpy()
        X, y = X_all[sel].to_numpy(), data.loc[sel, "polite_label"].astype(int).to_numpy()
        acc = cv_logit_accuracy(X, y, k=k, seed=seed, lam=lam)
        folds = stratified_folds(y, k, seed)
        n_correct = int(round(sum(a * (folds == f).sum() for f, a in enumerate(acc))))
        lo, hi = wilson_ci(n_correct, len(y))
        rows.append({"setting": f"in-domain ({k}-fold CV)", "train": d, "test": d, "n_train": len(y),
                     "n_test": len(y), "n_features": X.shape[1], "accuracy": float(acc.mean()),
                     "accuracy_sd": float(acc.std(ddof=1)), "accuracy_low": lo, "accuracy_high": hi,
                     "reference": refs.get((d, d), "")})
    for tr in domains:
        for te in domains:
            if tr == te:
                continue
            s_tr = labelled & (data["domain"] == tr).to_numpy()
            s_te = labelled & (data["domain"] == te).to_numpy()
            y_tr = data.loc[s_tr, "polite_label"].astype(int).to_numpy()
            y_te = data.loc[s_te, "polite_label"].astype(int).to_numpy()
            beta = ridge_logit(X_all[s_tr].to_numpy(), y_tr, lam)
            correct = _predict(beta, X_all[s_te].to_numpy()) == y_te
            lo, hi = wilson_ci(int(correct.sum()), len(y_te))
            rows.append({"setting": "cross-domain", "train": tr, "test": te, "n_train": len(y_tr),
                         "n_test": len(y_te), "n_features": X_all.shape[1],
                         "accuracy": float(correct.mean()), "accuracy_sd": math.nan,
                         "accuracy_low": lo, "accuracy_high": hi, "reference": ""})
    return pd.DataFrame(rows)
