"""Supervised construct tier: per-utterance flags and probabilities for the codebook's labels.

The lexical markers (:mod:`omotenashi_research.markers`) and the dialogue-context heuristics
(:mod:`omotenashi_research.context`) are the *rules*. This module learns, per language and label, a
logistic regression over

* the rules' output for the turn (every marker of the language as 0/1, plus the context flags),
* hashed n-grams of the agent text (Japanese: characters 1-3; English: words 1-2),
* hashed n-grams of the customer's preceding turns (what was asked or felt),
* hashed n-grams of the agent's text in the two preceding turns (what was already said or offered),
* how much of the agent text picks up words of the customer's earlier turns, and its length,

trained on the adjudicated gold set's ``train`` split (``data/annotation``), with the C parameter,
class weighting and decision threshold chosen by stratified cross-validation on that split only, and
Platt-scaled probabilities from the out-of-fold scores. For a label where the rule alone scores at least
as well as the model (:func:`choose_mode`: on held-out selection rows when given -- for the shipped models,
the round-4 and round-5 train items, labelled after the rules were last revised -- else in
cross-validation), the rule decides (``mode == "rule"``) and no probability is given.
The design matrix is built in :mod:`omotenashi_research.constructs_design`.

Hashing (scikit-learn's ``HashingVectorizer``) means the shipped model holds **no strings from the
corpora** — only hashed feature indices and weights (the corpora's licences forbid sharing derived text).

The fitted models live in ``omotenashi_research/models/constructs.json.gz``; :func:`fit_constructs` and
:func:`validate_constructs` are public so that researchers can retrain a construct on their own labels
(the gold-set label format) and get the same validation table.

Output columns (one vocabulary): ``c_<label>`` (Int64 0/1 flag) and ``p_<label>`` (Float64
probability, NA where the rule decides); NA on non-agent rows and in languages without a model.
"""

from __future__ import annotations

import gzip
import json
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp

from omotenashi_research.constructs_design import (
    _KEYS,
    N_FEATURES,
    PREV_TURNS,
    _context_columns,
    _vectorizer,
    design_matrix,
)
from omotenashi_research.errors import OmotenashiError

__all__ = [
    "MODEL_FILE",
    "RULE_COLUMNS",
    "ConstructModel",
    "ConstructModelError",
    "choose_mode",
    "construct_flags",
    "design_matrix",
    "explain_construct",
    "fit_constructs",
    "load_models",
    "save_models",
    "validate_constructs",
]

MODEL_FILE = Path(__file__).with_name("models") / "constructs.json.gz"

#: The rule (feature-table column) that measures each label on its own.
RULE_COLUMNS: dict[str, str] = {
    "gratitude": "m_gratitude", "apology": "m_apology", "empathy": "m_empathy",
    "anticipation": "anticipation", "ownership": "m_ownership", "deflection": "m_deflection",
    "personalization": "personalization", "deference": "m_deference",
    "sonkeigo": "m_sonkeigo", "kenjougo": "m_kenjougo", "teineigo": "m_teineigo",
}


class ConstructModelError(OmotenashiError, ValueError):
    """Training or prediction input is unusable (missing columns, no positives, unknown label)."""


# --------------------------------------------------------------------------------------------------
# model


@dataclass
class ConstructModel:
    """One fitted label of one language (fitted attributes end in ``_``)."""

    lang: str
    label: str
    mode_: str = "model"  # "model" or "rule"
    rule_columns_: list[str] = field(default_factory=list)
    coef_: dict[int, float] = field(default_factory=dict)
    intercept_: float = 0.0
    platt_: tuple[float, float] = (1.0, 0.0)
    threshold_: float = 0.5
    params_: dict = field(default_factory=dict)
    cv_: dict = field(default_factory=dict)

    def decision(self, x: sp.csr_matrix) -> np.ndarray:
        """Linear score of each row."""
        if not self.coef_:
            return np.full(x.shape[0], self.intercept_)
        idx = np.fromiter(self.coef_.keys(), dtype=np.int64)
        w = np.fromiter(self.coef_.values(), dtype=float)
        return np.asarray(x[:, idx] @ w).ravel() + self.intercept_

    def probability(self, x: sp.csr_matrix) -> np.ndarray:
        """Platt-scaled probability of the label."""
        a, b = self.platt_
        return 1.0 / (1.0 + np.exp(-(a * self.decision(x) + b)))

    def to_dict(self) -> dict:
        # a label the rule decides needs no weights (they are kept only while it is a model)
        coef = {} if self.mode_ == "rule" else self.coef_
        return {"lang": self.lang, "label": self.label, "mode": self.mode_,
                "rule_columns": self.rule_columns_, "intercept": self.intercept_,
                "platt": list(self.platt_), "threshold": self.threshold_, "params": self.params_,
                "cv": self.cv_, "coef": {str(k): round(v, 6) for k, v in coef.items()}}

    @classmethod
    def from_dict(cls, d: Mapping) -> ConstructModel:
        return cls(lang=d["lang"], label=d["label"], mode_=d["mode"], rule_columns_=list(d["rule_columns"]),
                   coef_={int(k): float(v) for k, v in d["coef"].items()}, intercept_=float(d["intercept"]),
                   platt_=tuple(d["platt"]), threshold_=float(d["threshold"]), params_=dict(d["params"]),
                   cv_=dict(d["cv"]))


def _f1(y: np.ndarray, pred: np.ndarray) -> float:
    tp = int((y & pred).sum())
    denom = int(y.sum()) + int(pred.sum())
    return 2 * tp / denom if denom else 0.0


def _best_threshold(y: np.ndarray, p: np.ndarray) -> tuple[float, float]:
    grid = np.unique(np.round(p, 4))
    best = (0.5, -1.0)
    for t in grid:
        f = _f1(y, p >= t)
        if f > best[1] + 1e-12:
            best = (float(t), f)
    return best


def _fit_one(x: sp.csr_matrix, y: np.ndarray, rule: np.ndarray | None, *, seed: int, folds: int = 5
             ) -> tuple[ConstructModel, dict]:
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold

    n_pos = int(y.sum())
    k = min(folds, n_pos, int((1 - y).sum()))
    if k < 2:
        raise ConstructModelError(
            f"need at least 2 positives and 2 negatives to train, got {n_pos} of {len(y)}")
    # liblinear's cost grows with the width of the matrix: fit on the columns these rows use only
    used = np.unique(x.indices)
    x = x[:, used]
    skf = StratifiedKFold(n_splits=k, shuffle=True, random_state=seed)
    best = None
    for c in (1.0, 3.0):
        for cw in (None, "balanced"):
            oof = np.zeros(len(y))
            for tr, te in skf.split(np.zeros(len(y)), y):
                m = LogisticRegression(C=c, class_weight=cw, solver="liblinear", max_iter=2000)
                m.fit(x[tr], y[tr])
                oof[te] = m.decision_function(x[te])
            t, f = _best_threshold(y.astype(bool), oof)
            if best is None or f > best[0] + 1e-9:
                best = (f, c, cw, oof, t)
    f_model, c, cw, oof, t_dec = best
    model = LogisticRegression(C=c, class_weight=cw, solver="liblinear", max_iter=2000).fit(x, y)
    platt = LogisticRegression(C=1e6, solver="lbfgs").fit(oof.reshape(-1, 1), y)
    a, b = float(platt.coef_[0, 0]), float(platt.intercept_[0])
    # the decision threshold on the probability scale, from the out-of-fold decision threshold
    threshold = float(1.0 / (1.0 + np.exp(-(a * t_dec + b))))
    coef = model.coef_.ravel()
    nz = np.flatnonzero(np.abs(coef) > 1e-6)
    coef_full = {int(used[i]): float(coef[i]) for i in nz}
    cv = {"f1_model": round(f_model, 4), "n": int(len(y)), "positives": n_pos}
    if rule is not None:
        cv["f1_rule"] = round(_f1(y.astype(bool), rule.astype(bool)), 4)
    fitted = ConstructModel(lang="", label="", coef_=coef_full,
                            intercept_=float(model.intercept_[0]), platt_=(a, b), threshold_=threshold,
                            params_={"C": c, "class_weight": cw or "none", "folds": k, "seed": seed}, cv_=cv)
    return fitted, cv


def choose_mode(cv: Mapping[str, float]) -> str:
    """``"rule"`` or ``"model"`` from a model's ``cv_`` numbers (the choice :func:`fit_constructs` makes).

    On held-out selection rows (``f1_rule_dev``/``f1_model_dev``) when they had positives; otherwise the
    rule's F1 on the training rows against the model's cross-validated F1. Ties go to the rule (simpler,
    and :func:`explain_construct` can name it).

    Examples
    --------
    >>> choose_mode({"f1_model": 0.9, "f1_rule": 0.95, "f1_model_dev": 0.8, "f1_rule_dev": 0.6})
    'model'
    >>> choose_mode({"f1_model": 0.92, "f1_rule": 0.92, "n_dev": 300, "dev_positives": 0})
    'rule'
    >>> choose_mode({"f1_model": 0.5})
    'model'
    """
    if "f1_rule_dev" in cv and "f1_model_dev" in cv:
        return "rule" if cv["f1_rule_dev"] >= cv["f1_model_dev"] else "model"
    if "f1_rule" in cv:
        return "rule" if cv["f1_rule"] >= cv["f1_model"] else "model"
    return "model"


def _dev_scores(x: sp.csr_matrix, y: np.ndarray, rule: np.ndarray, dev: np.ndarray, *, seed: int
                ) -> dict:
    """F1 of the rule and of a model fitted without the ``dev`` rows, both on the ``dev`` rows."""
    out = {"n_dev": int(dev.sum()), "dev_positives": int(y[dev].sum())}
    if not dev.any() or dev.all() or y[dev].sum() == 0:
        return out  # nothing to choose on: the caller falls back to the model
    try:
        m, _ = _fit_one(x[~dev], y[~dev], None, seed=seed)
    except ConstructModelError:
        return out
    pred = m.probability(x[dev]) >= m.threshold_
    yd = y[dev].astype(bool)
    out["f1_model_dev"] = round(_f1(yd, pred), 4)
    out["f1_rule_dev"] = round(_f1(yd, rule[dev].astype(bool)), 4)
    return out


def _prepare(utterances: pd.DataFrame, features: pd.DataFrame | None, *, context: bool = True
             ) -> tuple[pd.DataFrame, pd.DataFrame]:
    from omotenashi_research.features import extract_features

    missing = [c for c in [*_KEYS, "role", "text", "lang"] if c not in utterances.columns]
    if missing:
        raise ConstructModelError(f"utterances lack column(s) {missing}")
    if features is None:
        features = extract_features(utterances, context=context, progress=False)
    if len(features) != len(utterances):
        raise ConstructModelError(f"features have {len(features)} rows, utterances {len(utterances)}")
    ctx = _context_columns(utterances)
    data = utterances[[*_KEYS, "role", "text", "lang"]].reset_index(drop=True)
    data = pd.concat([data, ctx.reset_index(drop=True)], axis=1)
    return data, features.reset_index(drop=True)


def _rule_columns(features: pd.DataFrame, lang: str) -> list[str]:
    from omotenashi_research.markers.lexicon import marker_names

    cols = [f"m_{m}" for m in sorted(marker_names(lang)) if f"m_{m}" in features.columns]
    return cols + [c for c in ("anticipation", "personalization") if c in features.columns]


def fit_constructs(
    utterances: pd.DataFrame,
    labels: pd.DataFrame,
    *,
    features: pd.DataFrame | None = None,
    label_names: Sequence[str] | None = None,
    seed: int = 20261128,
    select_on: Sequence[bool] | np.ndarray | pd.Series | None = None,
) -> dict[tuple[str, str], ConstructModel]:
    """Train one model per (language, label) on labelled agent turns.

    Parameters
    ----------
    utterances : pandas.DataFrame
        Utterance table holding the labelled turns **with their dialogues** (context is read from it).
    labels : pandas.DataFrame
        ``corpus, dialogue_id, turn`` + 0/1 label columns (the gold-set format; blank = not applicable).
    features : pandas.DataFrame, optional
        ``extract_features(utterances, context=True)`` if already computed (same rows and order).
    label_names : sequence of str, optional
        Labels to train (default: every label column present in ``labels``).
    seed : int
        Seed of the cross-validation folds.
    select_on : boolean array-like, optional
        One flag per row of ``labels``: rows the rules were **not** written on (for the shipped models,
        the fourth annotation round). When given, the rule-or-model choice is made on these rows alone: a
        model fitted on the other rows and the rule are both scored there, because a rule's F1 on the
        rows it was tuned on is optimistic while the model's is cross-validated. The final model is then
        fitted on all rows. Without it (or where the selection rows hold no positive of a label), the
        rule's F1 on all rows is compared with the model's cross-validated F1 (:func:`choose_mode`).

    Returns
    -------
    dict
        ``{(lang, label): ConstructModel}``. ``mode_ == "rule"`` where the rule alone had the higher
        F1 (see ``select_on``); ``cv_`` holds the numbers the choice was made on.
    """
    data, feats = _prepare(utterances, features)
    label_names = list(label_names) if label_names is not None else [
        c for c in RULE_COLUMNS if c in labels.columns]
    if select_on is not None:
        select_on = np.asarray(select_on, dtype=bool)
        if len(select_on) != len(labels):
            raise ConstructModelError(f"select_on has {len(select_on)} flags, labels {len(labels)} rows")
        labels = labels.assign(_select=select_on)
    lab = labels.drop(columns=[c for c in ("role", "lang") if c in labels.columns])
    lab = lab.assign(dialogue_id=lab["dialogue_id"].astype(str))
    keyed = data.assign(_row=np.arange(len(data)), dialogue_id=data["dialogue_id"].astype(str))
    merged = lab.merge(keyed[[*_KEYS, "_row", "role", "lang"]], on=_KEYS, how="left")
    if merged["_row"].isna().any():
        odd = merged.loc[merged["_row"].isna(), _KEYS].head(3).to_dict("records")
        raise ConstructModelError(f"labelled turns not found in the utterances, e.g. {odd}")
    models: dict[tuple[str, str], ConstructModel] = {}
    for lang, g in merged.groupby("lang", sort=True):
        rows = g["_row"].astype(int).to_numpy()
        rule_cols = _rule_columns(feats, str(lang))
        x = design_matrix(data.iloc[rows], feats.iloc[rows], str(lang), rule_cols)
        for label in label_names:
            y_raw = pd.to_numeric(g[label], errors="coerce")
            ok = y_raw.notna().to_numpy()
            if not ok.any():
                continue  # label does not apply to this language
            y = y_raw[ok].astype(int).to_numpy()
            rc = RULE_COLUMNS.get(label)
            rule = None
            if rc in feats.columns:
                rule = (pd.to_numeric(feats.iloc[rows[ok]][rc], errors="coerce").fillna(0).to_numpy() > 0)
            fitted, cv = _fit_one(x[ok], y, rule, seed=seed)
            fitted.lang, fitted.label, fitted.rule_columns_ = str(lang), label, rule_cols
            if select_on is not None and rule is not None:
                dev = g["_select"].to_numpy(dtype=bool)[ok]
                cv.update(_dev_scores(x[ok], y, rule, dev, seed=seed))
            if choose_mode(cv) == "rule":
                fitted.mode_ = "rule"
            models[(str(lang), label)] = fitted
    return models


def save_models(models: Mapping[tuple[str, str], ConstructModel], path: str | Path = MODEL_FILE,
                *, meta: Mapping | None = None) -> Path:
    """Write the models as JSON (hashed feature indices and weights; no text)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {"meta": dict(meta or {}), "n_features": N_FEATURES, "prev_turns": PREV_TURNS,
               "models": [m.to_dict() for _, m in sorted(models.items())]}
    text = json.dumps(payload, ensure_ascii=False, indent=0, sort_keys=True) + "\n"
    if path.suffix == ".gz":  # the shipped file: JSON, gzipped (mtime 0, so the bytes are reproducible)
        with path.open("wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="") as fh:
            fh.write(text.encode("utf-8"))
    else:
        path.write_text(text, encoding="utf-8")
    return path


def load_models(path: str | Path | None = None) -> dict[tuple[str, str], ConstructModel]:
    """Read models written by :func:`save_models` (default: the shipped ``constructs.json.gz``)."""
    path = Path(path) if path is not None else MODEL_FILE
    if not path.exists():
        raise ConstructModelError(f"{path.resolve()}: construct model file not found")
    raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    payload = json.loads(raw.decode("utf-8"))
    if payload.get("n_features") != N_FEATURES:
        raise ConstructModelError(f"{path.resolve()}: model was hashed with {payload.get('n_features')} "
                                  f"features, this version uses {N_FEATURES}")
    return {(d["lang"], d["label"]): ConstructModel.from_dict(d) for d in payload["models"]}


# --------------------------------------------------------------------------------------------------
# prediction


def construct_flags(
    utterances: pd.DataFrame,
    features: pd.DataFrame | None = None,
    *,
    models: Mapping[tuple[str, str], ConstructModel] | None = None,
) -> pd.DataFrame:
    """``c_<label>`` flags and ``p_<label>`` probabilities for every agent turn.

    Parameters
    ----------
    utterances : pandas.DataFrame
        Utterance table (whole dialogues: the customer's earlier turns are context).
    features : pandas.DataFrame, optional
        ``extract_features(utterances, context=True)`` if already computed.
    models : mapping, optional
        Default: the shipped models (:func:`load_models`).

    Returns
    -------
    pandas.DataFrame
        Same index and order as ``utterances``: keys, ``role``, ``lang``, then ``c_<label>`` (Int64) and
        ``p_<label>`` (Float64) per label; NA on non-agent rows and languages without a model.
    """
    models = load_models() if models is None else models
    data, feats = _prepare(utterances, features)
    labels = sorted({lab for _, lab in models})
    out = data[[*_KEYS, "role", "lang"]].copy()
    flags = {lab: pd.array([pd.NA] * len(data), dtype="Int64") for lab in labels}
    probs = {lab: pd.array([pd.NA] * len(data), dtype="Float64") for lab in labels}
    for lang in sorted(set(data["lang"])):
        rows = np.flatnonzero(((data["lang"] == lang) & (data["role"] == "agent")).to_numpy())
        lang_models = {lab: m for (lg, lab), m in models.items() if lg == lang}
        if not len(rows) or not lang_models:
            continue
        rule_cols = next(iter(lang_models.values())).rule_columns_
        x = design_matrix(data.iloc[rows], feats.iloc[rows], lang, rule_cols)
        for lab, m in lang_models.items():
            if m.mode_ == "rule":
                rc = RULE_COLUMNS[lab]
                flags[lab][rows] = (pd.to_numeric(feats.iloc[rows][rc], errors="coerce").fillna(0)
                                    .to_numpy() > 0).astype(int)
            else:
                p = m.probability(x)
                probs[lab][rows] = p
                flags[lab][rows] = (p >= m.threshold_).astype(int)
    for lab in labels:
        out[f"c_{lab}"] = flags[lab]
    for lab in labels:
        out[f"p_{lab}"] = probs[lab]
    out.index = utterances.index
    return out


def explain_construct(
    text: str, lang: str, label: str, *, previous_customer_text: str = "",
    models: Mapping[tuple[str, str], ConstructModel] | None = None, top: int = 8,
) -> pd.DataFrame:
    """Why a turn gets (or does not get) a label: the model's largest contributions for this text.

    Rule features are named by their marker; n-gram features by the n-grams of *this* text (the model
    holds only hashes). For ``mode == "rule"`` labels the table has the rule's count.

    Returns
    -------
    pandas.DataFrame
        ``feature, kind, contribution`` sorted by absolute contribution.
    """
    models = load_models() if models is None else models
    if (lang, label) not in models:
        raise ConstructModelError(f"no construct model for {label!r} in {lang!r}")
    m = models[(lang, label)]
    utt = pd.DataFrame({"corpus": "explain", "dialogue_id": "d", "turn": [0, 1],
                        "role": ["customer", "agent"],
                        "speaker": None, "text": [previous_customer_text or "-", text], "lang": lang})
    data, feats = _prepare(utt, None)
    agent = data.iloc[[1]]
    if m.mode_ == "rule":
        rc = RULE_COLUMNS[label]
        count = float(feats.iloc[1][rc] or 0)
        return pd.DataFrame({"feature": [rc], "kind": ["rule"], "contribution": [count]})
    x = design_matrix(agent, feats.iloc[[1]], lang, m.rule_columns_)
    rows = []
    n_rules = len(m.rule_columns_)
    names = [*m.rule_columns_, "pickup", "length"]
    from sklearn.feature_extraction import FeatureHasher

    text_vec = _vectorizer(lang)
    hasher = FeatureHasher(n_features=N_FEATURES, input_type="string", alternate_sign=False)
    grams = sorted(set(text_vec.build_analyzer()(text)))
    hashed = hasher.transform([[g] for g in grams]) if grams else sp.csr_matrix((0, N_FEATURES))
    grams_text = {int(hashed.indices[hashed.indptr[i]]): g for i, g in enumerate(grams)}
    offset_text, offset_prev = n_rules + 2, n_rules + 2 + N_FEATURES
    offset_agent = offset_prev + N_FEATURES
    xr = x.tocoo()
    for j, v in zip(xr.col, xr.data, strict=True):
        w = m.coef_.get(int(j), 0.0)
        if not w:
            continue
        if j < offset_text:
            name, kind = names[j], "rule" if j < n_rules else "context"
        elif j < offset_prev:
            name, kind = grams_text.get(int(j - offset_text), "#hash"), "agent n-gram"
        elif j < offset_agent:
            name, kind = "(customer's previous turns)", "customer n-gram"
        else:
            name, kind = "(agent's previous turn)", "previous agent n-gram"
        rows.append((name, kind, float(v * w)))
    df = pd.DataFrame(rows, columns=["feature", "kind", "contribution"])
    if df.empty:
        return df
    df = df.groupby(["feature", "kind"], as_index=False)["contribution"].sum()
    order = df["contribution"].abs().sort_values(ascending=False).index
    return df.reindex(order).head(top).reset_index(drop=True)


# --------------------------------------------------------------------------------------------------
# validation


def validate_constructs(
    predicted: pd.DataFrame, labels: pd.DataFrame, *, by: Sequence[str] = ("lang",),
    label_names: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Precision, recall and F1 with 95 % CIs of ``c_<label>`` flags against 0/1 labels.

    Precision and recall carry Wilson intervals; F1 a percentile interval from 2,000 bootstrap
    resamples of the items (seeded). Returns one row per group in ``by`` (plus a pooled row when
    ``by`` is not ``("lang",)``) and label.
    """
    from omotenashi_research.validation import wilson_ci

    label_names = list(label_names) if label_names is not None else [
        c for c in RULE_COLUMNS if c in labels.columns and f"c_{c}" in predicted.columns]
    lab = labels.assign(dialogue_id=labels["dialogue_id"].astype(str))
    pred = predicted.assign(dialogue_id=predicted["dialogue_id"].astype(str))
    m = lab.merge(pred[[*_KEYS, *(c for c in pred.columns if c.startswith("c_")),
                        *(c for c in ("lang",) if c not in lab.columns)]], on=_KEYS, how="left")
    rows = []
    rng = np.random.default_rng(20261128)
    for keys, g in m.groupby(list(by), sort=True):
        keys = keys if isinstance(keys, tuple) else (keys,)
        for label in label_names:
            y = pd.to_numeric(g[label], errors="coerce")
            p = pd.to_numeric(g[f"c_{label}"], errors="coerce")
            ok = (y.notna() & p.notna()).to_numpy()
            if not ok.any():
                continue
            yy, pp = y[ok].astype(int).to_numpy().astype(bool), p[ok].astype(int).to_numpy().astype(bool)
            tp, fp, fn = int((yy & pp).sum()), int((~yy & pp).sum()), int((yy & ~pp).sum())
            prec = tp / (tp + fp) if tp + fp else np.nan
            rec = tp / (tp + fn) if tp + fn else np.nan
            f1 = 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else np.nan
            boots = []
            idx = np.arange(len(yy))
            for _ in range(2000):
                s = rng.choice(idx, len(idx))
                t2 = int((yy[s] & pp[s]).sum())
                d2 = int(yy[s].sum() + pp[s].sum())
                boots.append(2 * t2 / d2 if d2 else np.nan)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                f_lo, f_hi = (np.nanpercentile(boots, [2.5, 97.5]) if np.isfinite(boots).any()
                              else (np.nan, np.nan))
            p_lo, p_hi = wilson_ci(tp, tp + fp) if tp + fp else (np.nan, np.nan)
            r_lo, r_hi = wilson_ci(tp, tp + fn) if tp + fn else (np.nan, np.nan)
            rows.append({**dict(zip(by, keys, strict=True)), "label": label, "n": int(ok.sum()),
                         "positives": int(yy.sum()), "flagged": int(pp.sum()), "precision": prec,
                         "precision_ci_low": p_lo, "precision_ci_high": p_hi, "recall": rec,
                         "recall_ci_low": r_lo, "recall_ci_high": r_hi, "f1": f1, "f1_ci_low": float(f_lo),
                         "f1_ci_high": float(f_hi)})
    return pd.DataFrame(rows)
