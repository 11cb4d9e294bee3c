"""Scriptedness: recurring utterance templates, and lexical diversity of agent talk.

A *template key* is an utterance with its variable slots blanked out (numbers, times,
dates, prices, titled names) and case/punctuation removed, so that "Your table for 4 is
booked at 7pm." and "Your table for 2 is booked at 8:30 pm!" share one key. An utterance
is *scripted* here when its key recurs in at least ``min_dialogues`` distinct dialogues of
the same corpus: a corpus-internal, transparent proxy, not a judgement of sincerity.

Two refinements make the measure comparable across corpora:

* **per sentence** (``unit="sentence"``, :func:`split_sentences`): a turn that opens with a stock
  formula and goes on freely is partly scripted; whole-turn keys miss that, and they favour corpora
  with short turns;
* **at a fixed corpus size** (:func:`scripted_share_subsampled`): the more dialogues a corpus has,
  the more templates reach ``min_dialogues`` by chance, so the share of a 4,000-dialogue corpus and
  that of a 200-dialogue corpus are not comparable. Repeated equal-size subsamples of dialogues
  (the same size for every corpus) give a mean and a spread that are.
"""

from __future__ import annotations

import re
import unicodedata
import zlib
from collections.abc import Sequence
from functools import lru_cache
from typing import Literal

import numpy as np
import pandas as pd

__all__ = [
    "PLACEHOLDERS",
    "compare_subsampled",
    "lexical_diversity",
    "scripted_share_subsampled",
    "scriptedness",
    "sentence_table",
    "split_sentences",
    "subsample_summary",
    "template_key",
]

PLACEHOLDERS = ("<date>", "<time>", "<price>", "<code>", "<num>", "<name>")

_NUM_WORDS = (
    "zero|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen"
    "|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|hundred|thousand"
)
_MONTHS = (
    "january|february|march|april|may|june|july|august|september|october|november|december"
    "|jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec"
)
_WEEKDAYS = "monday|tuesday|wednesday|thursday|friday|saturday|sunday"
_KANJI_NUM = "[〇一二三四五六七八九十百千万两]+"
_D = r"\d+(?:[.,]\d+)*"
_N = rf"(?:{_D}|<num>)"
_JN = rf"(?:{_N}|{_KANJI_NUM})"

# Order matters: the most specific slot first, so "7:30pm" is a time, not two numbers.
_RULES: list[tuple[re.Pattern[str], str]] = [
    # dates
    (re.compile(rf"\b{_N}\s*[/-]\s*{_N}(?:\s*[/-]\s*{_N})?\b"), "<date>"),
    (re.compile(rf"\b(?:{_MONTHS})\.?\s+{_N}(?:st|nd|rd|th)?\b"), "<date>"),
    (re.compile(rf"\b{_N}(?:st|nd|rd|th)?\s+(?:of\s+)?(?:{_MONTHS})\b"), "<date>"),
    (re.compile(rf"\b(?:{_WEEKDAYS})\b"), "<date>"),
    (re.compile(rf"{_JN}年(?:{_JN}月)?(?:{_JN}日)?"), "<date>"),
    (re.compile(rf"{_JN}月{_JN}日"), "<date>"),
    (re.compile(r"[月火水木金土日]曜日?"), "<date>"),
    # times
    (re.compile(rf"\b{_N}\s*:\s*{_N}(?:\s*(?:a\.?m\.?|p\.?m\.?))?"), "<time>"),
    (re.compile(rf"\b{_N}\s*(?:a\.?m\.?|p\.?m\.?)(?![a-z])"), "<time>"),
    (re.compile(rf"(?:午前|午後)?(?:{_N}|{_KANJI_NUM})時(?:(?:{_N}|{_KANJI_NUM})分|半)?"), "<time>"),
    # prices
    (re.compile(rf"[$£€¥￥]\s*{_N}"), "<price>"),
    (re.compile(rf"\b{_N}\s*(?:dollars?|pounds?|euros?|yen|usd|gbp|eur)\b"), "<price>"),
    (re.compile(rf"(?:{_N}|{_KANJI_NUM})\s*円"), "<price>"),
    # names after a title (no NER: only the unambiguous cases)
    (re.compile(r"\b(mr|mrs|ms|miss|dr)\.?\s+[a-z][a-z'-]*"), r"\1 <name>"),
    (re.compile(r"\b(my name is|this is|name is)\s+[a-z][a-z'-]*"), r"\1 <name>"),
    # booking references and other codes mixing letters and digits
    (re.compile(r"\b(?=[a-z]*\d)(?=\d*[a-z])[a-z0-9]{5,}\b"), "<code>"),
    # remaining numbers
    (re.compile(rf"\b{_D}(?:st|nd|rd|th)?\b"), "<num>"),
    (re.compile(rf"\b(?:{_NUM_WORDS})\b"), "<num>"),
    (re.compile(rf"\d+|{_KANJI_NUM}(?=[名人泊日月時分階室枚個杯つ部屋])"), "<num>"),
]
# Rules that can only match where the text has a digit or a <num> placeholder (skipped otherwise: speed).
_NEEDS_DIGIT = {0, 1, 2, 7, 8, 10, 11, 15, 16}
_DIGIT = re.compile(r"\d")
_PLACEHOLDER_CHARS = {"<", ">"}
# ASCII punctuation and symbols (Unicode categories P* and S*) except the placeholder brackets.
_ASCII_PS = str.maketrans({
    c: " " for c in map(chr, range(128)) if unicodedata.category(c)[0] in "PS" and c not in _PLACEHOLDER_CHARS
})
_UTT_COLS = ("corpus", "dialogue_id", "turn", "role", "text", "lang")


def _strip_punct(text: str) -> str:
    # Drop punctuation and symbols (Unicode P* and S*), keeping the placeholder brackets.
    if text.isascii():
        return text.translate(_ASCII_PS)
    chars = [
        " " if (unicodedata.category(c)[0] in "PS" and c not in _PLACEHOLDER_CHARS) else c for c in text
    ]
    return "".join(chars)


def _one_pass(text: str, lang: str) -> str:
    s = unicodedata.normalize("NFKC", text).lower()
    # Loose brackets would fake placeholders: remove those not part of one.
    s = re.sub(r"<(?!(?:date|time|price|code|num|name)>)", " ", s)
    s = re.sub(r"(?<!<date)(?<!<time)(?<!<price)(?<!<code)(?<!<num)(?<!<name)>", " ", s)
    for k, (pattern, repl) in enumerate(_RULES):
        if k in _NEEDS_DIGIT and "<num>" not in s and not _DIGIT.search(s):
            continue  # cannot match
        s = pattern.sub(repl, s)
    s = _strip_punct(s)
    s = re.sub(r"\s+", " ", s).strip()
    if lang == "ja":
        # Japanese has no word spaces: drop them so spacing variants share a key.
        s = re.sub(r"(?<![a-z0-9>]) | (?![a-z0-9<])", "", s)
    return s


def template_key(text: str, lang: str) -> str:
    """Normalise an utterance to its template key.

    Steps: NFKC (full-width digits and letters become ASCII), lower case, then slot
    placeholders ``<date>``, ``<time>``, ``<price>``, ``<code>`` (letters mixed with digits,
    e.g. booking references), ``<num>`` and ``<name>`` (only after a
    title such as "Mr." or "my name is": no named-entity recognition), then punctuation and
    symbols removed and whitespace collapsed (Japanese: removed). Applied until nothing
    changes, so ``template_key(template_key(t)) == template_key(t)``.

    Parameters
    ----------
    text : str
        One utterance.
    lang : str
        ISO 639-1 code; ``"ja"`` also turns kanji numerals before counters (三名, 二泊) into
        ``<num>`` and removes spaces.

    Returns
    -------
    str

    Examples
    --------
    >>> from omotenashi_research.scripted import template_key
    >>> template_key("Your table for 4 is booked at 7:30 PM, Mr. Smith!", "en")
    'your table for <num> is booked at <time> mr <name>'
    >>> template_key("３名様、５月３日で承りました。", "ja")
    '<num>名様<date>で承りました'
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a string, got {type(text).__name__}")
    return _template_key(text, lang)


@lru_cache(maxsize=200_000)  # scripted corpora repeat texts; bounded memory
def _template_key(text: str, lang: str) -> str:
    s = text
    for _ in range(10):
        new = _one_pass(s, lang)
        if new == s:
            break
        s = new
    return s


def _check_utterances(df: pd.DataFrame, needed: Sequence[str], what: str) -> None:
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"{what}: expected a pandas DataFrame, got {type(df).__name__}")
    missing = [c for c in needed if c not in df.columns]
    if missing:
        raise ValueError(f"{what}: missing required column(s) {missing}; see omotenashi_research.schema")
    bad = df.index[~df["text"].map(lambda v: isinstance(v, str))] if "text" in needed else []
    if len(bad):
        raise ValueError(f"{what}: row(s) {list(bad[:5])}: column 'text' must be a string")


# Sentence ends: runs of 。！？!?．… or newlines, an ASCII period only before whitespace or the end (so
# "7.30" and "e.g.x" stay whole), each with the closing brackets/quotes that follow it.
_SENT_END = re.compile(r"(?:[。！？!?．…]+|\.+(?=[」』）)\]\"'’”]*(?:\s|$))|\n+)[」』）)\]\"'’”]*")
# A period after these words (or after a single letter, as in "U.S.") does not end an English sentence.
_ABBREVIATIONS = frozenset("mr mrs ms dr st jr sr prof mt no vs etc approx ave dept".split())
_LAST_WORD = re.compile(r"([A-Za-z]+)$")


def split_sentences(text: str) -> list[str]:
    """Split one utterance into sentences (Japanese and English), keeping each end mark.

    A sentence ends after a run of 。！？!?．… or a line break, or after an ASCII period followed by
    whitespace or the end of the text, unless the period closes a title or abbreviation ("Mr.",
    "St.", "etc.") or a single letter ("U.S."). Closing brackets and quotes after the end mark stay
    with the sentence. Whitespace at either end of a sentence is removed; nothing else is.

    Parameters
    ----------
    text : str
        One utterance.

    Returns
    -------
    list of str
        Non-empty sentences in order; ``[]`` for a text of only whitespace.

    Examples
    --------
    >>> from omotenashi_research.scripted import split_sentences
    >>> split_sentences("Thank you, Mr. Smith. It's 7.30 now! Anything else?")
    ['Thank you, Mr. Smith.', "It's 7.30 now!", 'Anything else?']
    >>> split_sentences("かしこまりました。「ホテル」ですね！少々お待ちください")
    ['かしこまりました。', '「ホテル」ですね！', '少々お待ちください']
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a string, got {type(text).__name__}")
    out: list[str] = []
    start = 0
    for m in _SENT_END.finditer(text):
        if m.group(0)[0] == ".":
            word = _LAST_WORD.search(text, start, m.start())
            if word and (len(word.group(1)) == 1 or word.group(1).lower() in _ABBREVIATIONS):
                continue  # "Mr." / "U.S.": not a sentence end
        piece = text[start:m.end()].strip()
        if piece:
            out.append(piece)
        start = m.end()
    tail = text[start:].strip()
    if tail:
        out.append(tail)
    return out


def sentence_table(utterances_df: pd.DataFrame, *, role: str | None = "agent") -> pd.DataFrame:
    """One row per sentence of the (agent) utterances, via :func:`split_sentences`.

    Parameters
    ----------
    utterances_df : pandas.DataFrame
        Utterance table (``corpus, dialogue_id, turn, role, text, lang``).
    role : str or None
        Only utterances of this role (``None``: all).

    Returns
    -------
    pandas.DataFrame
        ``corpus, dialogue_id, turn, sentence`` (0-based position in the turn), ``role, lang, text``;
        turns in input order. A turn of only whitespace has no sentence (the schema forbids such turns).

    Examples
    --------
    >>> import pandas as pd
    >>> from omotenashi_research.scripted import sentence_table
    >>> df = pd.DataFrame({"corpus": "demo", "dialogue_id": "a", "turn": [0, 1], "role": "agent",
    ...                    "lang": "en", "text": ["Hello. How can I help?", "Sure."]})
    >>> sentence_table(df)[["turn", "sentence", "text"]].values.tolist()
    [[0, 0, 'Hello.'], [0, 1, 'How can I help?'], [1, 0, 'Sure.']]
    """
    _check_utterances(utterances_df, [*_UTT_COLS], "sentence_table")
    sel = utterances_df if role is None else utterances_df[utterances_df["role"] == role]
    pieces = [split_sentences(t) for t in sel["text"]]
    counts = np.fromiter((len(p) for p in pieces), dtype=np.int64, count=len(pieces))
    rows = np.repeat(np.arange(len(sel)), counts)
    out = sel[["corpus", "dialogue_id", "turn"]].iloc[rows].reset_index(drop=True)
    # position within the turn: running index minus the turn's first row
    out["sentence"] = np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
    out["role"] = sel["role"].to_numpy()[rows]
    out["lang"] = sel["lang"].to_numpy()[rows]
    out["text"] = [s for p in pieces for s in p]
    return out


def scriptedness(
    utterances_df: pd.DataFrame,
    *,
    min_dialogues: int = 5,
    role: str | None = "agent",
    level: Literal["utterance", "dialogue"] = "utterance",
    unit: Literal["utterance", "sentence"] = "utterance",
) -> pd.DataFrame:
    """Flag utterances (or sentences) whose template recurs across dialogues, and the share per dialogue.

    Parameters
    ----------
    utterances_df : pandas.DataFrame
        Utterance table (``corpus, dialogue_id, turn, role, text, lang``).
    min_dialogues : int
        A template is recurring when it occurs in at least this many distinct dialogues
        of the same corpus.
    role : str or None
        Only utterances of this role are considered (``None``: all).
    level : {"utterance", "dialogue"}
        ``"utterance"``: one row per considered unit with ``template``,
        ``template_n_dialogues`` and ``template_recurs`` (bool). ``"dialogue"``: one row per
        dialogue (every dialogue of the input, also those without such turns) with
        ``n_utterances`` (``n_sentences`` for sentences) and ``scripted_share`` (NaN when that is 0).
    unit : {"utterance", "sentence"}
        What gets a template key: the whole turn, or each sentence of it (:func:`sentence_table`;
        the rows then also carry ``sentence``).

    Note that the share depends on the number of dialogues in the corpus; compare corpora of
    different sizes with :func:`scripted_share_subsampled`.

    Examples
    --------
    >>> import pandas as pd
    >>> from omotenashi_research.scripted import scriptedness
    >>> df = pd.DataFrame({"corpus": "demo", "dialogue_id": ["a", "a", "b"], "turn": [0, 1, 0],
    ...                    "role": "agent", "lang": "en",
    ...                    "text": ["Thank you for 2 calls.", "Hm.", "Thank you for 3 calls!"]})
    >>> scriptedness(df, min_dialogues=2)["template_recurs"].tolist()
    [True, False, True]
    >>> scriptedness(df, min_dialogues=2, level="dialogue")["scripted_share"].tolist()
    [0.5, 1.0]
    >>> df.loc[1, "text"] = "Hm. Thank you for 4 calls."
    >>> scriptedness(df, min_dialogues=2, unit="sentence")["template_recurs"].tolist()
    [True, False, True, True]
    """
    _check_utterances(utterances_df, [*_UTT_COLS], "scriptedness")
    if min_dialogues < 1:
        raise ValueError(f"min_dialogues must be >= 1, got {min_dialogues}")
    if level not in ("utterance", "dialogue"):
        raise ValueError(f"level must be 'utterance' or 'dialogue', not {level!r}")
    if unit == "sentence":
        sel = sentence_table(utterances_df, role=role)
        out = sel[["corpus", "dialogue_id", "turn", "sentence"]].copy()
    elif unit == "utterance":
        sel = utterances_df if role is None else utterances_df[utterances_df["role"] == role]
        out = sel[["corpus", "dialogue_id", "turn"]].copy()
    else:
        raise ValueError(f"unit must be 'utterance' or 'sentence', not {unit!r}")
    out["template"] = [template_key(t, lg) for t, lg in zip(sel["text"], sel["lang"], strict=True)]
    n_dial = out.groupby(["corpus", "template"])["dialogue_id"].transform("nunique")
    out["template_n_dialogues"] = n_dial.astype("int64")
    out["template_recurs"] = out["template_n_dialogues"] >= min_dialogues
    if level == "utterance":
        return out.reset_index(drop=True)
    n_col = "n_sentences" if unit == "sentence" else "n_utterances"
    dialogues = utterances_df[["corpus", "dialogue_id"]].drop_duplicates()
    agg = (
        out.groupby(["corpus", "dialogue_id"], sort=False)["template_recurs"]
        .agg(**{n_col: "size", "scripted_share": "mean"})
        .reset_index()
    )
    res = dialogues.merge(agg, on=["corpus", "dialogue_id"], how="left")
    res[n_col] = res[n_col].fillna(0).astype("int64")
    res["scripted_share"] = res["scripted_share"].astype(float)
    return res.reset_index(drop=True)


def _corpus_rng(seed: int, corpus: str) -> np.random.Generator:
    # One generator per corpus, from the seed and the corpus name: a corpus's subsamples do not depend
    # on which other corpora the table holds.
    return np.random.default_rng([int(seed), zlib.crc32(str(corpus).encode("utf-8"))])


def scripted_share_subsampled(
    utterances_df: pd.DataFrame,
    n_dialogues: int,
    *,
    n_subsamples: int = 20,
    min_dialogues: int = 5,
    unit: Literal["utterance", "sentence"] = "sentence",
    role: str | None = "agent",
    seed: int = 0,
) -> pd.DataFrame:
    """Scripted share of each corpus at a fixed corpus size: repeated equal-size subsamples of dialogues.

    For each corpus, ``n_subsamples`` times: draw ``n_dialogues`` of its dialogues without replacement,
    key every (agent) sentence of them (:func:`template_key`), call a key recurring when it occurs in
    at least ``min_dialogues`` of the drawn dialogues, and record the share of sentences with a
    recurring key. Every corpus is measured at the same size, so the shares are comparable; the spread
    over subsamples is how much a corpus of that size varies.

    Parameters
    ----------
    utterances_df : pandas.DataFrame
        Utterance table (``corpus, dialogue_id, turn, role, text, lang``), one or more corpora.
    n_dialogues : int
        Dialogues per subsample, the same for every corpus (at most the smallest corpus's count).
    n_subsamples : int
        Subsamples per corpus.
    min_dialogues : int
        Recurrence threshold, within the subsample.
    unit : {"sentence", "utterance"}
        Unit that gets a template key and that the share counts.
    role : str or None
        Only utterances of this role (``None``: all).
    seed : int
        Seed; each corpus draws from its own generator (seed and corpus name).

    Returns
    -------
    pandas.DataFrame
        One row per corpus and subsample: ``corpus, subsample, n_dialogues, n_units, n_recurring,
        scripted_share`` (``n_recurring / n_units``; NaN when the drawn dialogues have no such unit).

    Raises
    ------
    ValueError
        A corpus with fewer than ``n_dialogues`` dialogues (named, with its count), or bad arguments.

    Examples
    --------
    >>> import pandas as pd
    >>> from omotenashi_research.scripted import scripted_share_subsampled
    >>> df = pd.DataFrame({"corpus": "demo", "dialogue_id": list("abcd"), "turn": 0, "role": "agent",
    ...                    "lang": "en", "text": ["Hi. Booked 2.", "Hi. Booked 3.", "Hi. Booked 9.", "Hi."]})
    >>> out = scripted_share_subsampled(df, 3, n_subsamples=4, min_dialogues=3)
    >>> out["n_units"].tolist()  # 6 sentences when "d" is left out, else 5
    [5, 6, 5, 5]
    >>> out["scripted_share"].round(2).tolist()  # "hi" always recurs; "booked <num>" only without "d"
    [0.6, 1.0, 0.6, 0.6]
    """
    _check_utterances(utterances_df, [*_UTT_COLS], "scripted_share_subsampled")
    for name, value in (("n_dialogues", n_dialogues), ("n_subsamples", n_subsamples),
                        ("min_dialogues", min_dialogues)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"scripted_share_subsampled: {name} must be an integer >= 1, got {value!r}")
    units = scriptedness(utterances_df, min_dialogues=1, role=role, unit=unit)  # keys; recurrence below
    sizes = utterances_df.groupby("corpus", sort=True)["dialogue_id"].nunique()
    small = sizes[sizes < n_dialogues]
    if len(small):
        raise ValueError(
            f"scripted_share_subsampled: n_dialogues={n_dialogues} exceeds the dialogues of corpus "
            f"{small.index[0]!r} ({int(small.iloc[0])}); choose n_dialogues <= {int(sizes.min())}")
    rows = []
    for corpus in sizes.index:
        rng = _corpus_rng(seed, corpus)
        dialogues = np.sort(utterances_df.loc[utterances_df["corpus"] == corpus, "dialogue_id"].unique())
        mine = units[units["corpus"] == corpus]
        # integer codes: each subsample is then an isin on ints and one groupby
        d_codes = pd.Categorical(mine["dialogue_id"], categories=dialogues).codes
        t_codes = pd.factorize(mine["template"])[0]
        for i in range(n_subsamples):
            pick = np.zeros(len(dialogues), dtype=bool)
            pick[rng.choice(len(dialogues), size=n_dialogues, replace=False)] = True
            keep = pick[d_codes]
            sub = pd.DataFrame({"t": t_codes[keep], "d": d_codes[keep]})
            n_dial = sub.groupby("t")["d"].transform("nunique").to_numpy()
            n_units = int(keep.sum())
            n_rec = int((n_dial >= min_dialogues).sum())
            rows.append({"corpus": corpus, "subsample": i, "n_dialogues": int(n_dialogues),
                         "n_units": n_units, "n_recurring": n_rec,
                         "scripted_share": n_rec / n_units if n_units else float("nan")})
    return pd.DataFrame(rows)


def subsample_summary(subsamples: pd.DataFrame) -> pd.DataFrame:
    """Mean and spread of :func:`scripted_share_subsampled` per corpus.

    Returns
    -------
    pandas.DataFrame
        One row per corpus: ``corpus, n_dialogues, n_subsamples, mean_units, mean, sd`` (ddof 1),
        ``min, max``.

    Examples
    --------
    >>> import pandas as pd
    >>> from omotenashi_research.scripted import subsample_summary
    >>> sub = pd.DataFrame({"corpus": "demo", "subsample": [0, 1], "n_dialogues": 3, "n_units": [5, 6],
    ...                     "n_recurring": [3, 6], "scripted_share": [0.6, 1.0]})
    >>> subsample_summary(sub)[["mean", "sd", "min", "max"]].round(3).values.tolist()
    [[0.8, 0.283, 0.6, 1.0]]
    """
    _require(subsamples, ["corpus", "subsample", "n_dialogues", "n_units", "scripted_share"],
             "subsample_summary")
    g = subsamples.groupby("corpus", sort=True)
    return pd.DataFrame({
        "n_dialogues": g["n_dialogues"].first(),
        "n_subsamples": g["subsample"].nunique(),
        "mean_units": g["n_units"].mean(),
        "mean": g["scripted_share"].mean(),
        "sd": g["scripted_share"].std(ddof=1),
        "min": g["scripted_share"].min(),
        "max": g["scripted_share"].max(),
    }).reset_index()


def compare_subsampled(subsamples: pd.DataFrame, corpus1: str, corpus2: str, *, ci: float = 0.95
                       ) -> pd.DataFrame:
    """Difference in scripted share between two corpora at the same size, over paired subsamples.

    Subsample *i* of ``corpus1`` is paired with subsample *i* of ``corpus2`` (independent draws);
    the estimate is the mean difference, the interval the ``ci`` percentile range of the
    differences: how far apart two corpora of ``n_dialogues`` dialogues each land. It is the spread
    of equal-size comparisons, not a sampling interval for a population, and carries no p-value.

    Returns
    -------
    pandas.DataFrame
        One row: ``corpus1, corpus2, n_dialogues, n_subsamples, mean1, mean2, estimate, ci_low,
        ci_high, share_positive`` (share of pairs with ``corpus1`` above ``corpus2``).

    Examples
    --------
    >>> import pandas as pd
    >>> from omotenashi_research.scripted import compare_subsampled
    >>> sub = pd.DataFrame({"corpus": ["a", "a", "b", "b"], "subsample": [0, 1, 0, 1], "n_dialogues": 5,
    ...                     "n_units": 10, "scripted_share": [0.5, 0.7, 0.2, 0.3]})
    >>> compare_subsampled(sub, "a", "b")[["estimate", "share_positive"]].round(2).values.tolist()
    [[0.35, 1.0]]
    """
    _require(subsamples, ["corpus", "subsample", "n_dialogues", "scripted_share"], "compare_subsampled")
    if not 0 < ci < 1:
        raise ValueError(f"ci must be strictly between 0 and 1, got {ci!r}")
    parts = []
    for c in (corpus1, corpus2):
        part = subsamples[subsamples["corpus"] == c]
        if part.empty:
            raise ValueError(f"compare_subsampled: no subsamples of corpus {c!r} "
                             f"(corpora: {sorted(subsamples['corpus'].unique())})")
        parts.append(part.set_index("subsample"))
    a, b = parts
    if a["n_dialogues"].iloc[0] != b["n_dialogues"].iloc[0]:
        raise ValueError(f"compare_subsampled: {corpus1!r} was subsampled at {a['n_dialogues'].iloc[0]} "
                         f"dialogues and {corpus2!r} at {b['n_dialogues'].iloc[0]}: sizes must match")
    common = a.index.intersection(b.index)
    diff = (a.loc[common, "scripted_share"] - b.loc[common, "scripted_share"]).to_numpy(float)
    alpha = 1 - ci
    lo, hi = np.quantile(diff, [alpha / 2, 1 - alpha / 2])
    return pd.DataFrame([{
        "corpus1": corpus1, "corpus2": corpus2, "n_dialogues": int(a["n_dialogues"].iloc[0]),
        "n_subsamples": len(common), "mean1": float(a.loc[common, "scripted_share"].mean()),
        "mean2": float(b.loc[common, "scripted_share"].mean()), "estimate": float(diff.mean()),
        "ci_low": float(lo), "ci_high": float(hi), "share_positive": float((diff > 0).mean()),
    }])


def _require(df: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"{what}: expected a pandas DataFrame, got {type(df).__name__}")
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(f"{what}: missing required column(s) {missing}")


def _mattr(tokens: Sequence[str], window: int) -> float:
    n = len(tokens)
    if n <= window:
        # Shorter than one window: MATTR reduces to the plain type-token ratio.
        return len(set(tokens)) / n
    counts: dict[str, int] = {}
    for t in tokens[:window]:
        counts[t] = counts.get(t, 0) + 1
    ttrs = [len(counts) / window]
    for i in range(window, n):
        new, old = tokens[i], tokens[i - window]
        counts[new] = counts.get(new, 0) + 1
        counts[old] -= 1
        if counts[old] == 0:
            del counts[old]
        ttrs.append(len(counts) / window)
    return float(np.mean(ttrs))


def _mtld_pass(tokens: Sequence[str], threshold: float) -> float:
    factors = 0.0
    types: set[str] = set()
    n_tok = 0
    ttr = 1.0
    for t in tokens:
        n_tok += 1
        types.add(t)
        ttr = len(types) / n_tok
        if ttr <= threshold:
            factors += 1
            types, n_tok, ttr = set(), 0, 1.0
    # Partial factor for the leftover segment (McCarthy & Jarvis 2010, p. 384).
    factors += (1.0 - ttr) / (1.0 - threshold)
    return len(tokens) / factors if factors > 0 else float("nan")


def lexical_diversity(
    tokens: Sequence[str],
    method: Literal["mattr", "mtld"] = "mattr",
    window: int = 50,
    *,
    threshold: float = 0.72,
) -> float:
    """Length-robust lexical diversity of a token sequence.

    Parameters
    ----------
    tokens : sequence of str
        Tokens (e.g. lower-cased lemmas of all agent turns of a dialogue).
    method : {"mattr", "mtld"}
        ``"mattr"``: moving-average type-token ratio (Covington & McFall 2010): mean TTR
        over every window of ``window`` consecutive tokens; plain TTR when the text is
        shorter than the window. In [0, 1].
        ``"mtld"``: measure of textual lexical diversity (McCarthy & Jarvis 2010): mean
        length of segments whose running TTR stays above ``threshold``, averaged over a
        forward and a backward pass, with the partial last segment counted as
        ``(1 - TTR) / (1 - threshold)`` of a factor. In tokens (>= 1); NaN when no factor
        accrues (every token distinct).
    window : int
        MATTR window.
    threshold : float
        MTLD TTR threshold (0.72 in the original).

    Returns
    -------
    float
        NaN for an empty sequence.

    Examples
    --------
    >>> from omotenashi_research.scripted import lexical_diversity
    >>> round(lexical_diversity(list("ababc"), "mattr", window=3), 4)  # (2/3 + 2/3 + 1) / 3
    0.7778
    >>> lexical_diversity(list("ababab"), "mtld")
    3.0
    """
    tokens = list(tokens)
    if not all(isinstance(t, str) for t in tokens):
        raise TypeError("tokens must be strings")
    if not tokens:
        return float("nan")
    if method == "mattr":
        if window < 1:
            raise ValueError(f"window must be >= 1, got {window}")
        return _mattr(tokens, window)
    if method == "mtld":
        if not 0 < threshold < 1:
            raise ValueError(f"threshold must be in (0, 1), got {threshold}")
        fwd = _mtld_pass(tokens, threshold)
        bwd = _mtld_pass(tokens[::-1], threshold)
        return float(np.mean([fwd, bwd]))
    raise ValueError(f"method must be 'mattr' or 'mtld', not {method!r}")
