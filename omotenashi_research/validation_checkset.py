"""The hand-labelled check set: item selection, the IDs-only items file, label files and agreement.

:func:`build_checkset` draws the items (IDs only), :func:`checkset_items` joins them with the corpus
text at run time (never write that text into the repository), :func:`read_checkset_labels` reads the
annotators' label files, and :func:`checkset_agreement` gives inter-annotator kappa and the accuracy of
our context markers against the consensus. :mod:`omotenashi_research.validation` re-exports every name.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from omotenashi_research.errors import OmotenashiError
from omotenashi_research.validation_metrics import binary_metrics, cohen_kappa

__all__ = [
    "CHECKSET_CORPORA",
    "CHECKSET_LABELS",
    "ChecksetError",
    "build_checkset",
    "checkset_agreement",
    "checkset_items",
    "read_checkset_labels",
]

REPO = Path(__file__).resolve().parents[1]
CHECKSET_DIR = REPO / "data" / "checkset"
ITEMS_FILE = CHECKSET_DIR / "items.csv"
ITEM_COLUMNS = ["corpus", "dialogue_id", "turn", "lang"]
CHECKSET_LABELS = ("anticipation", "ownership", "deflection", "personalization")
LABEL_COLUMNS = ["corpus", "dialogue_id", "turn", *CHECKSET_LABELS, "annotator"]
# corpus -> language; 60 agent turns each (turn >= 2) in the committed items.csv.
CHECKSET_CORPORA: dict[str, str] = {"asdc": "ja", "jmultiwoz": "ja", "uss-mwoz": "en", "taskmaster-4": "en"}
# Lexical cues used to enrich the sample so that positives are not too rare to measure.
ENRICH_MARKERS = ("anticipation_cue", "ownership", "personalization_cue")
CHECKSET_SEED = 20240917


class ChecksetError(OmotenashiError, ValueError):
    """A check-set items or labels file is malformed; the message names file, row and problem."""


# --------------------------------------------------------------------------------------------------
# check set: selection, text, labels, agreement


def _load_corpus(corpus: str) -> pd.DataFrame:
    """Utterance table of one check-set corpus."""
    if corpus == "asdc":
        from omotenashi_research.datasets.asdc import load_asdc

        return load_asdc()
    if corpus == "jmultiwoz":
        from omotenashi_research.datasets.jmultiwoz import load_jmultiwoz

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # the 122 dropped empty user turns, documented
            return load_jmultiwoz()
    if corpus == "uss-mwoz":
        from omotenashi_research.datasets.uss import load_uss

        return load_uss(["MWOZ"])
    if corpus == "taskmaster-4":
        from omotenashi_research.datasets.taskmaster import load_taskmaster

        return load_taskmaster()
    raise ValueError(f"unknown check-set corpus {corpus!r}; expected one of {list(CHECKSET_CORPORA)}")


def _enrich_flags(texts: list[str], lang: str) -> np.ndarray | None:
    """Any anticipation_cue / ownership / personalization_cue match per text; None without the engine."""
    try:
        from omotenashi_research.markers import count_markers, marker_names
    except ImportError:
        return None
    present = [m for m in ENRICH_MARKERS if m in marker_names(lang)]
    if not present:
        return None
    counts = count_markers(texts, lang, progress=False)
    return (counts[present].to_numpy() > 0).any(axis=1)


def build_checkset(
    n_per_corpus: int = 60,
    *,
    seed: int = CHECKSET_SEED,
    pool_size: int = 1500,
    enrich: bool = True,
    corpora: Mapping[str, pd.DataFrame] | None = None,
) -> pd.DataFrame:
    """Select the check-set items: agent turns with ``turn >= 2``, IDs only.

    Scheme (documented in ``data/checkset/GUIDELINES.md``): per corpus, dialogues are shuffled with
    ``numpy.random.default_rng([seed, corpus number])`` and one eligible agent turn is drawn from each
    of the first ``pool_size`` dialogues (one item per dialogue at most). With ``enrich`` and the
    marker engine available, half of the items are drawn from pool turns with an
    ``anticipation_cue``/``ownership``/``personalization_cue`` match and half from the others (short
    strata are filled from the other one); otherwise a plain random draw.

    Parameters
    ----------
    n_per_corpus : int
        Items per corpus.
    seed : int
        Base seed.
    pool_size : int
        Dialogues sampled per corpus before stratifying.
    enrich : bool
        Stratify on the lexical cues.
    corpora : mapping, optional
        ``{corpus: utterance table}`` to use instead of the loaders (tests).

    Returns
    -------
    pandas.DataFrame
        ``corpus, dialogue_id, turn, lang`` sorted by corpus order, dialogue, turn.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"corpus": "demo", "dialogue_id": [f"d{i // 4}" for i in range(40)],
    ...                    "turn": [i % 4 for i in range(40)], "role": ["customer", "agent"] * 20,
    ...                    "text": "x", "lang": "en"})
    >>> items = build_checkset(3, corpora={"demo": df}, enrich=False)
    >>> len(items), bool((items["turn"] >= 2).all())
    (3, True)
    """
    names = list(corpora) if corpora is not None else list(CHECKSET_CORPORA)
    out = []
    for no, corpus in enumerate(names):
        utt = corpora[corpus] if corpora is not None else _load_corpus(corpus)
        rng = np.random.default_rng([seed, no])
        elig = utt[(utt["role"] == "agent") & (utt["turn"] >= 2)]
        dialogues = np.sort(elig["dialogue_id"].unique())
        chosen = dialogues[rng.permutation(len(dialogues))][:pool_size]
        by_dlg = {d: g for d, g in elig.groupby("dialogue_id", sort=False)}
        pool = pd.concat([by_dlg[d].iloc[[int(rng.integers(len(by_dlg[d])))]] for d in chosen])
        n = min(n_per_corpus, len(pool))
        flags = _enrich_flags(list(pool["text"]), str(pool["lang"].iloc[0])) if enrich else None
        if flags is None:
            pick = pool.iloc[:n]
        else:
            pos, neg = pool[flags], pool[~flags]
            n_pos = min(len(pos), max(n // 2, n - len(neg)))
            pick = pd.concat([pos.iloc[:n_pos], neg.iloc[:n - n_pos]])
        out.append(pick[ITEM_COLUMNS].assign(_order=no))
    res = pd.concat(out).sort_values(["_order", "dialogue_id", "turn"]).drop(columns="_order")
    return res.reset_index(drop=True).astype({"turn": "int64"})


def _read_items(path: str | Path | None) -> pd.DataFrame:
    path = Path(path) if path is not None else ITEMS_FILE
    if not path.exists():
        raise ChecksetError(f"{path}: check-set items file not found (generate it with build_checkset())")
    items = pd.read_csv(path, dtype={"corpus": str, "dialogue_id": str, "lang": str})
    missing = [c for c in ITEM_COLUMNS if c not in items.columns]
    if missing:
        raise ChecksetError(f"{path}: required column(s) missing: {missing}")
    extra = [c for c in items.columns if c not in ITEM_COLUMNS]
    if extra:
        raise ChecksetError(f"{path}: unexpected column(s) {extra}: items.csv holds IDs only "
                            f"({', '.join(ITEM_COLUMNS)}), never text")
    turn = pd.to_numeric(items["turn"], errors="coerce")
    bad = turn.isna() | (turn % 1 != 0)
    if bad.any():
        r = int(np.flatnonzero(bad)[0]) + 2  # 1-based file line, after the header
        raise ChecksetError(f"{path}: line {r}: column 'turn' must be an integer, "
                            f"got {items['turn'].iloc[r - 2]!r}")
    items["turn"] = turn.astype("int64")
    dup = items.duplicated(["corpus", "dialogue_id", "turn"], keep=False)
    if dup.any():
        lines = (np.flatnonzero(dup) + 2).tolist()[:5]
        raise ChecksetError(f"{path}: line(s) {lines}: duplicate (corpus, dialogue_id, turn)")
    return items


def checkset_items(
    with_context: bool = True,
    *,
    items: pd.DataFrame | str | Path | None = None,
    n_context: int = 3,
    corpora: Mapping[str, pd.DataFrame] | None = None,
) -> pd.DataFrame:
    """The check-set items joined with their text (and context) from the corpus loaders.

    For annotators and for computing markers at run time: **never write this table into the
    repository** (the corpora's licences and the project's rules keep text out of it).

    Parameters
    ----------
    with_context : bool
        Add ``prev_1`` ... ``prev_<n_context>`` (``"<role>: <text>"`` of the turns just before,
        ``prev_1`` the nearest; empty string before the dialogue start).
    items : DataFrame or path, optional
        The items (default ``data/checkset/items.csv``).
    n_context : int
        Previous turns to include.
    corpora : mapping, optional
        ``{corpus: utterance table}`` instead of the loaders (tests).

    Returns
    -------
    pandas.DataFrame
        ``corpus, dialogue_id, turn, lang, role, text`` (+ context columns), in item order.

    Raises
    ------
    ChecksetError
        When an item is not an agent turn of its corpus (naming the items and the problem).
    """
    if not isinstance(items, pd.DataFrame):
        items = _read_items(items)
    frames = []
    for corpus, g in items.groupby("corpus", sort=False):
        utt = corpora[corpus] if corpora is not None and corpus in corpora else _load_corpus(str(corpus))
        utt = utt.sort_values(["dialogue_id", "turn"])
        cols = ["dialogue_id", "turn", "role", "text"]
        if with_context:
            utt = utt.copy()
            grp = utt.groupby("dialogue_id", sort=False)
            line = utt["role"].astype(str) + ": " + utt["text"].astype(str)
            utt["_line"] = line
            for i in range(1, n_context + 1):
                utt[f"prev_{i}"] = grp["_line"].shift(i).fillna("")
                cols.append(f"prev_{i}")
        merged = g.merge(utt[cols], on=["dialogue_id", "turn"], how="left", validate="one_to_one")
        missing = merged["text"].isna()
        if missing.any():
            ids = merged.loc[missing, ["dialogue_id", "turn"]].head(5).to_dict("records")
            raise ChecksetError(f"check set: {int(missing.sum())} item(s) of {corpus!r} not found in the "
                                f"corpus, e.g. {ids}")
        not_agent = merged["role"] != "agent"
        if not_agent.any():
            ids = merged.loc[not_agent, ["dialogue_id", "turn"]].head(5).to_dict("records")
            raise ChecksetError(f"check set: item(s) of {corpus!r} are not agent turns, e.g. {ids}")
        frames.append(merged)
    order = items[["corpus", "dialogue_id", "turn"]]
    return order.merge(pd.concat(frames, ignore_index=True), on=["corpus", "dialogue_id", "turn"], how="left")


def read_checkset_labels(directory: str | Path | None = None) -> pd.DataFrame:
    """All ``labels_<annotator>.csv`` files of the check-set folder, validated, in one long table.

    Returns an empty table (with the label columns) when no file exists yet.

    Raises
    ------
    ChecksetError
        Naming the file, line and problem: missing columns, labels other than 0/1, duplicate items,
        or an ``annotator`` column that disagrees with the file name.
    """
    directory = Path(directory) if directory is not None else CHECKSET_DIR
    frames = []
    for path in sorted(directory.glob("labels_*.csv")):
        name = path.stem[len("labels_"):]
        df = pd.read_csv(path, dtype={"corpus": str, "dialogue_id": str, "annotator": str})
        missing = [c for c in LABEL_COLUMNS if c not in df.columns]
        if missing:
            raise ChecksetError(f"{path}: required column(s) missing: {missing}")
        for col in ["turn", *CHECKSET_LABELS]:
            ok = df[col].isin([0, 1]) if col != "turn" else pd.to_numeric(df[col], errors="coerce").notna()
            if not ok.all():
                r = int(np.flatnonzero(~ok.to_numpy())[0])
                what = "must be 0 or 1" if col != "turn" else "must be an integer"
                raise ChecksetError(f"{path}: line {r + 2}: column {col!r} {what}, got {df[col].iloc[r]!r}")
        wrong = df["annotator"] != name
        if wrong.any():
            r = int(np.flatnonzero(wrong.to_numpy())[0])
            raise ChecksetError(f"{path}: line {r + 2}: annotator {df['annotator'].iloc[r]!r} does not match "
                                f"the file name ({name!r})")
        dup = df.duplicated(["corpus", "dialogue_id", "turn"])
        if dup.any():
            lines = (np.flatnonzero(dup) + 2).tolist()[:5]
            raise ChecksetError(f"{path}: line(s) {lines}: item labelled twice")
        frames.append(df[LABEL_COLUMNS].astype({"turn": "int64", **{c: "int64" for c in CHECKSET_LABELS}}))
    if not frames:
        return pd.DataFrame(columns=LABEL_COLUMNS)
    return pd.concat(frames, ignore_index=True)


def _predicted_context_markers(
    items: pd.DataFrame, corpora: Mapping[str, pd.DataFrame] | None
) -> pd.DataFrame:
    """Our anticipation / ownership / deflection / personalization per check-set item."""
    from omotenashi_research.context import anticipation, personalization
    from omotenashi_research.markers import count_markers, marker_names

    out = []
    for corpus, g in items.groupby("corpus", sort=False):
        utt = corpora[corpus] if corpora is not None and corpus in corpora else _load_corpus(str(corpus))
        # Only the dialogues of the items are needed: context features look backwards only.
        dlg = utt[utt["dialogue_id"].isin(set(g["dialogue_id"]))].reset_index(drop=True)
        lang = str(g["lang"].iloc[0])
        counts = count_markers(list(dlg["text"]), lang, progress=False)
        feats = dlg[["corpus", "dialogue_id", "turn"]].copy()
        for m in marker_names(lang):
            feats[f"m_{m}"] = counts[m].to_numpy()
        ant = anticipation(dlg, feats)
        per = personalization(dlg, feats)
        res = dlg[["corpus", "dialogue_id", "turn"]].copy()
        res["anticipation"] = ant["anticipation"].fillna(0).astype(int).to_numpy()
        res["personalization"] = per["personalization"].fillna(0).astype(int).to_numpy()
        for m in ("ownership", "deflection"):
            res[m] = (feats[f"m_{m}"].to_numpy() > 0).astype(int) if f"m_{m}" in feats else 0
        keys = ["corpus", "dialogue_id", "turn"]
        out.append(g[[*keys, "lang"]].merge(res, on=keys, how="left"))
    return pd.concat(out, ignore_index=True)


def checkset_agreement(
    labels: pd.DataFrame | None = None,
    *,
    items: pd.DataFrame | None = None,
    predictions: pd.DataFrame | None = None,
    corpora: Mapping[str, pd.DataFrame] | None = None,
) -> dict[str, pd.DataFrame]:
    """Inter-annotator agreement on the check set, and our context markers vs. the consensus.

    Parameters
    ----------
    labels : pandas.DataFrame, optional
        Long table as from :func:`read_checkset_labels` (read from ``data/checkset`` when omitted).
    items : pandas.DataFrame, optional
        ``corpus, dialogue_id, turn, lang`` (default ``data/checkset/items.csv``).
    predictions : pandas.DataFrame, optional
        Our 0/1 ``anticipation, ownership, deflection, personalization`` per item (computed with
        :mod:`omotenashi_research.context` and the marker engine when omitted).
    corpora : mapping, optional
        Utterance tables instead of the loaders (tests).

    Returns
    -------
    dict of str to pandas.DataFrame
        ``status`` (one row: ``annotators``, ``n_items``, ``n_labelled``, ``status`` which is
        ``"not yet labelled"`` with fewer than two annotators); ``kappa`` (per annotator pair x
        ``lang`` x ``label``: :func:`cohen_kappa` columns, ``n_disagree``); ``markers`` (per ``lang``
        x ``label``: our flag vs. consensus, positive only when both annotators say 1, with the
        :func:`binary_metrics` columns and ``n_disagree``, a count of items; their IDs are not listed).

    Examples
    --------
    >>> import pandas as pd
    >>> items = pd.DataFrame({"corpus": "c", "dialogue_id": ["a", "b", "c", "d"], "turn": 2, "lang": "en"})
    >>> lab = pd.concat([items.assign(anticipation=[1, 1, 0, 0], ownership=0, deflection=0,
    ...                               personalization=0, annotator=n) for n in ("x", "y")])
    >>> pred = items.assign(anticipation=[1, 0, 0, 0], ownership=0, deflection=0, personalization=0)
    >>> res = checkset_agreement(lab, items=items, predictions=pred)
    >>> res["markers"].query("label == 'anticipation'")[["precision", "recall"]].values.tolist()
    [[1.0, 0.5]]
    """
    if items is None:
        items = _read_items(None)
    if labels is None:
        labels = read_checkset_labels()
    keys = ["corpus", "dialogue_id", "turn"]
    missing = [c for c in LABEL_COLUMNS if c not in labels.columns]
    if missing:
        raise ChecksetError(f"check-set labels: required column(s) missing: {missing}")
    dup = labels.duplicated(["annotator", *keys], keep=False)
    if dup.any():
        ex = labels.loc[dup, ["annotator", *keys]].head(3).to_dict("records")
        raise ChecksetError(f"check-set labels: {int(dup.sum())} rows label an item twice for one "
                            f"annotator, e.g. {ex}")
    annotators = sorted(labels["annotator"].unique()) if len(labels) else []
    labelled = labels[LABEL_COLUMNS].merge(items[[*keys, "lang"]], on=keys, how="inner")
    status = pd.DataFrame([{
        "annotators": ", ".join(annotators) if annotators else "-",
        "n_items": len(items),
        "n_labelled": int(labelled.drop_duplicates(keys).shape[0]),
        "status": "labelled" if len(annotators) >= 2 else "not yet labelled",
    }])
    empty = {"status": status, "kappa": pd.DataFrame(), "markers": pd.DataFrame()}
    if len(annotators) < 2:
        return empty
    kappa_rows = []
    for i, a in enumerate(annotators):
        for b in annotators[i + 1:]:
            pair = labelled[labelled["annotator"] == a].merge(
                labelled[labelled["annotator"] == b], on=[*keys, "lang"], suffixes=("_a", "_b"))
            for lang, g in pair.groupby("lang", sort=True):
                for lab in CHECKSET_LABELS:
                    k = cohen_kappa(g[f"{lab}_a"], g[f"{lab}_b"])
                    kappa_rows.append({"annotator_a": a, "annotator_b": b, "lang": lang, "label": lab, **k,
                                       "n_disagree": int((g[f"{lab}_a"] != g[f"{lab}_b"]).sum())})
    # Consensus over the first two annotators (the design has exactly two).
    a, b = annotators[:2]
    both = labelled[labelled["annotator"] == a].merge(
        labelled[labelled["annotator"] == b], on=[*keys, "lang"], suffixes=("_a", "_b"))
    if predictions is None:
        predictions = _predicted_context_markers(items[items.set_index(keys).index.isin(
            both.set_index(keys).index)], corpora)
    merged = both.merge(predictions[[*keys, *CHECKSET_LABELS]].rename(columns={c: f"{c}_ours" for c in
                                                                               CHECKSET_LABELS}),
                        on=keys, how="left")
    marker_rows = []
    for lang, g in merged.groupby("lang", sort=True):
        for lab in CHECKSET_LABELS:
            gold = (g[f"{lab}_a"] == 1) & (g[f"{lab}_b"] == 1)
            ours = g[f"{lab}_ours"].fillna(0).astype(int) == 1
            marker_rows.append({"lang": lang, "label": lab, **binary_metrics(gold, ours),
                                "n_disagree": int((g[f"{lab}_a"] != g[f"{lab}_b"]).sum())})
    return {"status": status, "kappa": pd.DataFrame(kappa_rows), "markers": pd.DataFrame(marker_rows)}
