"""Design matrix of the supervised construct tier (:mod:`omotenashi_research.constructs`).

One row per agent turn, the blocks side by side (column offsets fixed, so a fitted model's hashed
indices stay meaningful):

1. dense: every rule column of the language as 0/1, the pick-up share, log length;
2. hashed n-grams of the agent text (Japanese: characters 1-3; English: words 1-2);
3. hashed n-grams of the customer's preceding turns (up to :data:`PREV_TURNS` back);
4. hashed n-grams of the agent's text in the two preceding turns: what the agent already said or offered
   (chosen on the gold set's train split only: it lifted Japanese personalization on the held-out
   selection rows and in cross-validation under two fold seeds, the gain small under the second; every
   other label moved within noise. An "echo" block of n-grams shared with the customer's turns, the
   customer's last turn as a block of its own and the turn's position did not help and are left out).

Hashing (scikit-learn's ``HashingVectorizer``) keeps strings of the corpora out of the fitted model:
it holds hashed indices and weights only.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import pandas as pd
import scipy.sparse as sp

__all__ = ["N_FEATURES", "PREV_TURNS", "design_matrix"]

N_FEATURES = 2**18
PREV_TURNS = 3
_KEYS = ["corpus", "dialogue_id", "turn"]
#: names of the dense columns after the rule columns (block 1)
DENSE_HEAD = ("pickup", "length")


def _vectorizer(lang: str):
    """The hashing vectorizer of every text block (stateless, so one serves all blocks)."""
    from sklearn.feature_extraction.text import HashingVectorizer

    if lang == "ja":
        kw = {"analyzer": "char", "ngram_range": (1, 3)}
    else:
        kw = {"analyzer": "word", "ngram_range": (1, 2), "lowercase": True,
              "token_pattern": r"(?u)\b\w[\w']*\b"}
    return HashingVectorizer(n_features=N_FEATURES, alternate_sign=False, binary=True, norm="l2", **kw)


_JA_RUN = re.compile(r"[\u4e00-\u9fff\u30a0-\u30ff]{2,}")
# \w minus digits and "_": every alphabetic character, and numeric ones such as ² (checked below)
_ALPHA_RUN = re.compile(r"[^\W\d_]+")


def _content_units(text: str, lang: str) -> set[str]:
    """Units for the pick-up measure: Japanese kanji/katakana bigrams, English words of 4+ letters
    (runs of ``str.isalpha`` characters, lower-cased character by character, 4+ characters after).

    Examples
    --------
    >>> sorted(_content_units("東京タワーへ", "ja"))
    ['タワ', 'ワー', '京タ', '東京']
    >>> sorted(_content_units("My kids' ski trip, 2 days", "en"))
    ['days', 'kids', 'trip']
    """
    if lang == "ja":
        return {r[i:i + 2] for r in _JA_RUN.findall(text) for i in range(len(r) - 1)}
    out: set[str] = set()
    for run in _ALPHA_RUN.findall(text):
        if run.isascii():
            if len(run) >= 4:
                out.add(run.lower())
        elif run.isalpha():
            # per character: str.lower on the whole run would apply the final-sigma rule, and a
            # character can lower to two (İ), so the length is counted after lowering
            word = "".join(map(str.lower, run))
            if len(word) >= 4:
                out.add(word)
        else:  # a numeric character that is not a digit (², ½) splits the run, as any non-letter does
            out.update(w for w in "".join(c.lower() if c.isalpha() else " " for c in run).split()
                       if len(w) >= 4)
    return out


def _pickup(texts: np.ndarray, langs: np.ndarray, roles: np.ndarray, group: np.ndarray,
            window: int = 8) -> np.ndarray:
    """Per agent row: the share of its content units found in the customer turns among the ``window``
    rows before it in its dialogue (rows sorted by dialogue and turn; ``group`` numbers the dialogues).
    Each customer turn's units are computed once (per language asked) and reused by every later row."""
    n = len(texts)
    pick = np.zeros(n)
    if n == 0:
        return pick
    starts = np.r_[0, np.flatnonzero(group[1:] != group[:-1]) + 1]
    first = starts[np.searchsorted(starts, np.arange(n), side="right") - 1]
    is_customer = roles == "customer"
    cache: dict[tuple[str, str], set[str]] = {}
    for i in np.flatnonzero(roles == "agent"):
        lang = str(langs[i])
        units = _content_units(str(texts[i]), lang)
        if not units:
            continue
        found: set[str] = set()
        for j in range(max(int(first[i]), i - window), i):
            if is_customer[j]:
                key = (str(texts[j]), lang)
                if key not in cache:
                    cache[key] = _content_units(*key)
                found |= cache[key]
        pick[i] = len(units & found) / len(units)
    return pick


def _context_columns(utterances: pd.DataFrame) -> pd.DataFrame:
    """Per row: the customer's text in the previous turns, the agent's text in the two preceding turns,
    and the pick-up share of earlier customer turns (the last 8 turns: cost stays linear)."""
    if not len(utterances):  # (pandas cannot add the shifted text columns of an empty table)
        empty = pd.Series([], dtype=object)
        return pd.DataFrame({"prev_customer": empty, "prev_agent": empty, "pickup": np.zeros(0)},
                            index=utterances.index)
    df = utterances[[*_KEYS, "role", "text", "lang"]].copy()
    df["_pos"] = np.arange(len(df))
    df = df.sort_values([*_KEYS[:2], "turn"])
    cust = df["text"].where(df["role"] == "customer", "")
    agent = df["text"].where(df["role"] == "agent", "")
    grp_key = [df["corpus"], df["dialogue_id"]]
    prev = pd.Series("", index=df.index)
    for k in range(1, PREV_TURNS + 1):
        prev = prev + " " + cust.groupby(grp_key).shift(k).fillna("")
    prev_agent = agent.groupby(grp_key).shift(1).fillna("") + " " + agent.groupby(grp_key).shift(2).fillna("")
    group = df.groupby(grp_key, sort=False).ngroup().to_numpy()
    pick = _pickup(df["text"].to_numpy(), df["lang"].to_numpy(), df["role"].to_numpy(), group)
    out = pd.DataFrame({"prev_customer": prev.str.strip().to_numpy(),
                        "prev_agent": prev_agent.str.strip().to_numpy(), "pickup": pick}, index=df.index)
    return out.set_index(df["_pos"].to_numpy()).sort_index().set_axis(utterances.index)


def design_matrix(
    utterances: pd.DataFrame, features: pd.DataFrame, lang: str, rule_columns: Sequence[str]
) -> sp.csr_matrix:
    """Feature matrix of every row of ``utterances`` (already restricted to one language's agent rows
    by the caller, with the columns of :func:`_context_columns`); blocks as in the module docstring.

    Examples
    --------
    >>> utt = pd.DataFrame({"corpus": "x", "dialogue_id": "d", "turn": [0, 1], "role": ["customer", "agent"],
    ...                     "text": ["Hi, a room please.", "Welcome."], "lang": "en"})
    >>> rows = pd.concat([utt, _context_columns(utt)], axis=1).iloc[[1]]
    >>> design_matrix(rows, pd.DataFrame(index=rows.index), "en", []).shape == (1, 2 + 3 * N_FEATURES)
    True
    """
    vec = _vectorizer(lang)
    x_text, x_prev, x_agent = (vec.transform(utterances[c].astype(str).tolist())
                               for c in ("text", "prev_customer", "prev_agent"))
    rules = np.column_stack([
        (pd.to_numeric(features[c], errors="coerce").fillna(0).to_numpy(float) > 0).astype(float)
        if c in features.columns else np.zeros(len(features))
        for c in rule_columns
    ]) if rule_columns else np.zeros((len(features), 0))
    n_chars = utterances["text"].astype(str).str.len().to_numpy(float)
    head = np.column_stack([rules, utterances["pickup"].to_numpy(float), np.log1p(n_chars) / 5.0])
    return sp.hstack([sp.csr_matrix(head), x_text, x_prev, x_agent], format="csr")
