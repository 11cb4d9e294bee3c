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

__all__ = ["KEIGO_MARKERS", "keigo_features", "keigo_matcher", "keigo_spans", "respectful_passive_positions"]

KEIGO_MARKERS = ("sonkeigo", "kenjougo", "teineigo", "bika_prefix")
_RERU_MODES = ("heuristic", "all", "none")

_SENT_END = frozenset("。．.！!？?\n")
# Words that put an honoured person in the sentence (as subject/topic): make a れる/られる respectful.
_HONOURED_NOUNS = frozenset(
    "先生 社長 部長 課長 会長 専務 常務 教授 殿下 陛下 皆様 皆さま 貴方 あなた".split()
)
_HONOURED_SUFFIXES = frozenset({"様", "さま", "さん", "殿", "氏"})
_NEGATION = frozenset({"ない", "ぬ", "ず", "ん"})


@cache
def keigo_matcher() -> MarkerMatcher:
    """The cached :class:`~omotenashi_research.markers.engine.MarkerMatcher` of the four keigo lexicons."""
    lexicons = load_lexicons("ja")
    return MarkerMatcher("ja", lexicons={m: lexicons[m] for m in KEIGO_MARKERS})


def _sentences(doc: Doc) -> list[tuple[int, int]]:
    """Token ranges of sentences, split after 。！？ and newlines (independent of the sentencizer)."""
    out, start = [], 0
    for i, tok in enumerate(doc):
        if tok.text and tok.text[-1] in _SENT_END:
            out.append((start, i + 1))
            start = i + 1
    if start < len(doc):
        out.append((start, len(doc)))
    return out


def _is_reru(tok) -> bool:
    return tok.tag_ == "助動詞" and tok.lemma_ in ("れる", "られる")


def respectful_passive_positions(doc: Doc, *, mode: str = "heuristic") -> list[int]:
    """Token indices of 〜れる/〜られる auxiliaries read as respectful (尊敬の「れる・られる」).

    Parameters
    ----------
    doc : spacy.tokens.Doc
        A Japanese doc from the Sudachi pipeline.
    mode : {"heuristic", "all", "none"}
        ``"all"``: every れる/られる auxiliary after a verb (upper bound); ``"none"``: no
        positions; ``"heuristic"``: keep one only when

        - it is not causative-passive (after せる/させる: 待たされる),
        - no negation follows within two tokens (食べられません reads as potential),
        - the sentence has no agent 〜に marked on an honoured person (先生に褒められた is a
          plain passive), and
        - the sentence has an honorific cue: an honoured noun (先生, 社長, 皆様...), a suffix
          様/さん/殿/氏, an お/ご prefix, or it ends in the question particle か
          (addressed to the listener: 回復されたのでしょうか).

    Returns
    -------
    list of int

    Notes
    -----
    Limits: a passive with an honoured subject (お客様が怒られた, "was scolded") is counted;
    a respectful form in a plain statement without any cue (部長は帰られた is caught by
    部長, but 帰られました alone is not) is missed.

    Examples
    --------
    >>> from omotenashi_research.nlp import get_pipeline
    >>> from omotenashi_research.markers.keigo import respectful_passive_positions
    >>> nlp = get_pipeline("ja")
    >>> len(respectful_passive_positions(nlp("社長が来られました。")))
    1
    >>> len(respectful_passive_positions(nlp("先生に褒められました。")))
    0
    """
    if mode not in _RERU_MODES:
        raise ValueError(f"mode must be one of {_RERU_MODES}, got {mode!r}")
    if mode == "none":
        return []
    out = []
    for s, e in _sentences(doc):
        sent = doc[s:e]
        cands = [t.i for t in sent if _is_reru(t) and t.i > s and doc[t.i - 1].tag_.startswith("動詞")]
        if not cands:
            continue
        if mode == "all":
            out.extend(cands)
            continue
        honoured = [
            t.i
            for t in sent
            if t.lemma_ in _HONOURED_NOUNS or (t.tag_.startswith("接尾辞") and t.lemma_ in _HONOURED_SUFFIXES)
        ]
        prefix = any(t.tag_ == "接頭辞" and t.norm_ == "御" for t in sent)
        words = [t for t in sent if not (t.is_punct or t.is_space)]
        question = bool(words) and words[-1].text == "か" and words[-1].tag_.startswith("助詞-終助詞")
        # 先生に / 先生様に ... : the honoured person is the passive agent, not the subject
        agent = any(i + 1 < e and doc[i + 1].text == "に" for i in honoured) or any(
            i + 2 < e and doc[i + 1].tag_.startswith("接尾辞") and doc[i + 2].text == "に" for i in honoured
        )
        if agent or not (honoured or prefix or question):
            continue
        for i in cands:
            if doc[i - 1].lemma_ in ("せる", "させる"):
                continue
            if any(t.lemma_ in _NEGATION and t.tag_ == "助動詞" for t in doc[i + 1 : min(i + 3, e)]):
                continue
            out.append(i)
    return out


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
