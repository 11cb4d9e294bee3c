"""Japanese honorifics (keigo) per text: respectful, humble, polite forms and お/ご prefixes.

GiNZA has no keigo feature, so keigo is read from Sudachi lemmas, normalised forms, tags
and inflections with the packaged lexicons ``markers/lexicons/ja/{sonkeigo, kenjougo,
teineigo, bika_prefix}.yaml`` (categories of 文化審議会「敬語の指針」, 2007: 謙譲語I and II
are both counted as ``kenjougo``; 美化語 and honorific noun prefixes as ``bika_prefix``).

The respectful passive 〜れる/〜られる (回復された, 来られました) is spelled like the passive
and the potential, so it is not a lexicon entry but a sentence-level heuristic here
(:func:`respectful_passive_positions`); see ``reru`` in :func:`keigo_features`.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

import numpy as np
import pandas as pd
from spacy.tokens import Doc
from tqdm import tqdm  # plain bars: tqdm.auto needs ipywidgets in notebooks

from omotenashi_research.markers.engine import MarkerMatcher
from omotenashi_research.markers.lexicon import load_lexicons
from omotenashi_research.markers.respectful import _RERU_MODES, respectful_passive_positions

__all__ = ["KEIGO_MARKERS", "keigo_features", "keigo_matcher", "keigo_spans", "respectful_passive_positions"]

KEIGO_MARKERS = ("sonkeigo", "kenjougo", "teineigo", "bika_prefix")


@cache
def keigo_matcher() -> MarkerMatcher:
    """The cached :class:`~omotenashi_research.markers.engine.MarkerMatcher` of the four keigo lexicons.

    Without the matcher's respectful-passive rule: :func:`keigo_features` adds it per its ``reru`` mode.
    """
    lexicons = load_lexicons("ja")
    return MarkerMatcher("ja", lexicons={m: lexicons[m] for m in KEIGO_MARKERS}, procedures=False)


def keigo_spans(text: str | Doc, *, reru: str = "heuristic") -> pd.DataFrame:
    """Every counted keigo occurrence in one text, for inspecting :func:`keigo_features`.

    Parameters
    ----------
    text : str or spacy.tokens.Doc
    reru : {"heuristic", "all", "none"}
        How respectful-passive れる/られる is added to ``sonkeigo`` (see
        :func:`respectful_passive_positions`).

    Returns
    -------
    pandas.DataFrame
        Columns ``marker``, ``entry_id`` (``"ja_sonkeigo_reru_passive"`` for the heuristic),
        ``start``, ``end`` (token offsets) and ``text``, sorted by ``start``.

    Examples
    --------
    >>> from omotenashi_research.markers.keigo import keigo_spans
    >>> keigo_spans("資料を拝見しました。")[["marker", "text"]].values.tolist()
    [['kenjougo', '拝見'], ['teineigo', 'まし']]
    """
    matcher = keigo_matcher()
    doc = matcher.make_doc(text) if isinstance(text, str) else text
    rows = [sp._asdict() for sp in matcher.spans(doc)]
    rows += [
        {
            "marker": "sonkeigo",
            "entry_id": "ja_sonkeigo_reru_passive",
            "start": i,
            "end": i + 1,
            "text": doc[i].text,
        }
        for i in _reru_outside_spans(doc, rows, reru)
    ]
    df = pd.DataFrame(rows, columns=["marker", "entry_id", "start", "end", "text"])
    return df.sort_values(["start", "marker"], kind="stable").reset_index(drop=True)


def _reru_outside_spans(doc: Doc, spans: list[dict], reru: str) -> list[int]:
    # れる inside a lexicon sonkeigo span (おっしゃられる...) is already counted
    son = [(s["start"], s["end"]) for s in spans if s["marker"] == "sonkeigo"]
    return [i for i in respectful_passive_positions(doc, mode=reru) if not any(s <= i < e for s, e in son)]


def keigo_features(
    texts: Iterable[str],
    *,
    reru: str = "heuristic",
    batch_size: int = 1000,
    progress: bool | None = None,
) -> pd.DataFrame:
    """Keigo counts and presence flags per text.

    Parameters
    ----------
    texts : iterable of str
        Japanese texts (utterances or sentences).
    reru : {"heuristic", "all", "none"}
        How respectful-passive れる/られる is detected (see
        :func:`respectful_passive_positions`); the detected ones are included in
        ``sonkeigo`` and also reported alone in ``sonkeigo_reru`` (0 with ``"none"``).
    batch_size : int
        Texts tokenised per batch.
    progress : bool, optional
        tqdm bar; default only for more than 5,000 texts.

    Returns
    -------
    pandas.DataFrame
        One row per text (``RangeIndex``): int64 counts ``sonkeigo``, ``kenjougo``,
        ``teineigo``, ``bika_prefix``, ``sonkeigo_reru`` and ``n_tokens`` (non-punctuation
        tokens); bool ``has_sonkeigo``, ``has_kenjougo``, ``has_teineigo``,
        ``has_bika_prefix`` and ``has_keigo`` (any of the four).

    Raises
    ------
    TypeError
        When an item is not a string, naming its position.

    Examples
    --------
    >>> from omotenashi_research.markers.keigo import keigo_features
    >>> df = keigo_features(["先生がおっしゃいました。", "資料を拝見しました。", "見た。"])
    >>> df[["sonkeigo", "kenjougo", "teineigo"]].values.tolist()
    [[1, 0, 1], [0, 1, 1], [0, 0, 0]]
    >>> df["has_keigo"].tolist()
    [True, True, False]
    """
    if reru not in _RERU_MODES:
        raise ValueError(f"reru must be one of {_RERU_MODES}, got {reru!r}")
    matcher = keigo_matcher()
    total = len(texts) if hasattr(texts, "__len__") else None  # type: ignore[arg-type]
    if progress is None:
        progress = total is not None and total > 5000

    def checked() -> Iterable[str]:
        for i, t in enumerate(texts):
            if not isinstance(t, str):
                raise TypeError(f"texts[{i}] must be a string, got {type(t).__name__}: {t!r}")
            yield t

    rows = []
    docs = matcher.pipe(checked(), batch_size=batch_size)
    for doc in tqdm(docs, total=total, desc="keigo", unit="text", disable=not progress):
        counts = np.zeros(len(KEIGO_MARKERS) + 2, dtype=np.int64)
        spans = [sp._asdict() for sp in matcher.spans(doc)]
        for sp in spans:
            counts[KEIGO_MARKERS.index(sp["marker"])] += 1
        n_reru = len(_reru_outside_spans(doc, spans, reru))
        counts[len(KEIGO_MARKERS)] = n_reru
        counts[0] += n_reru  # sonkeigo
        counts[-1] = sum(1 for t in doc if not (t.is_punct or t.is_space))
        rows.append(counts)
    cols = [*KEIGO_MARKERS, "sonkeigo_reru", "n_tokens"]
    data = np.vstack(rows) if rows else np.zeros((0, len(cols)), dtype=np.int64)
    df = pd.DataFrame(data, columns=cols)
    for m in KEIGO_MARKERS:
        df[f"has_{m}"] = df[m] > 0
    df["has_keigo"] = df[[f"has_{m}" for m in KEIGO_MARKERS]].any(axis=1)
    return df
