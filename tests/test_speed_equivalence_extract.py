"""The speed-ups of ``extract_features`` (English, session 4) give exactly what the previous code gave.

Each fast path is compared with the previous implementation, kept verbatim below as the reference,
or with spaCy itself: the per-span token cache (new spans tokenised in groups cut at risky
boundaries, boundaries next to rules retokenised at their edge, one-gather reordering) against
``tokenizer(text)``; the token-by-token executor's candidate filter (positions from one list of
(type, predicate) pairs); the dense table of token-pair anchors; the overlap resolution of groups of
one or two matches; the vectorised schema checks on pandas' default string columns; the feature
table's construction. Texts are invented here; nothing is read from a corpus.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from spacy.attrs import ORTH

from omotenashi_research import schema
from omotenashi_research.features import _key_values, extract_features
from omotenashi_research.markers import chunks, get_matcher
from omotenashi_research.markers.chunks import ChunkTokens
from omotenashi_research.markers.compiler import _SENT
from omotenashi_research.markers.executor import _ProgramExecutor

PROPS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

_MM = get_matcher("en")
_RULES = sorted(_MM.nlp.tokenizer.rules)
_WORDS = ["I", "we", "have", "booked", "your", "table", "for", "two", "sorry", "thanks", "checking",
          "that", "you", "now", "a.m.", "p.m.", "e.g.", "4", "10", "a", "and", ".", ",", "?", "!",
          "don't", "I'm", "can't", "'s", "n't", "let", "me", "check", "unfortunately", "not", "able"]
_text = st.lists(st.one_of(st.sampled_from(_WORDS), st.sampled_from(_RULES)), max_size=14).map(" ".join)
# Special cases glued to punctuation and each other (matches across spans: the hard case of the cache)
_GLUE = st.sampled_from([*list(".,!?:;()'’-"), "'s", "n't", "a", "m", "p", "4", "9"])
_glued = st.lists(st.tuples(st.one_of(st.sampled_from(_RULES), _GLUE), st.sampled_from(["", " ", "  "])),
                  min_size=1, max_size=6).map(lambda parts: "".join(p + s for p, s in parts))


def _spacy_orth(tokenizer, batch: list[str]) -> tuple[np.ndarray, list[int]]:
    arrays = [tokenizer(t).to_array(ORTH).reshape(-1) for t in batch]
    return (np.concatenate(arrays) if arrays else np.zeros(0, dtype=np.uint64)), [len(a) for a in arrays]


# -- the per-span token cache ----------------------------------------------------------------------

@PROPS
@given(st.lists(st.one_of(_text, _glued), max_size=10), st.sampled_from([1, 2, 3, 32]))
def test_new_spans_in_small_groups_give_spacys_tokens(batch, group):
    """New spans are tokenised in groups cut at risky boundaries: tiny groups make every cut happen."""
    old = chunks._GROUP
    chunks._GROUP = group
    try:
        tok = _MM.nlp.tokenizer
        orth, lens = ChunkTokens(tok).orth(batch)
    finally:
        chunks._GROUP = old
    ref, ref_lens = _spacy_orth(tok, batch)
    assert lens.tolist() == ref_lens
    np.testing.assert_array_equal(orth, ref)


def test_reorder_known_answer():
    """Texts off the fast path (double spaces, tabs) and texts redone by the tokenizer, in order."""
    tok = _MM.nlp.tokenizer
    batch = ["at 9 a.m . ok", "a  b", "plain text", "\tx", "", "e.g . fine", "last one"]
    orth, lens = ChunkTokens(tok).orth(batch)
    ref, ref_lens = _spacy_orth(tok, batch)
    assert lens.tolist() == ref_lens
    assert lens.dtype == np.int64 and orth.dtype == np.uint64
    np.testing.assert_array_equal(orth, ref)


def test_rules_whose_edges_a_retokenisation_changes_next_to_every_rule():
    """A boundary next to a rule retokenised at its edge (the matcher saw the rule's pattern token
    there, not the final one) is judged from the tokens the matcher may have seen: every pair of such
    a rule and any rule, one space apart, gives spaCy's tokens (a deterministic sample of them)."""
    tok = _MM.nlp.tokenizer
    ct = ChunkTokens(tok)
    final = {r: [t.orth for t in tok(r)] for r in _RULES}
    ends = [r for r in _RULES if final[r] and final[r][-1] in ct._was_last]
    starts = [r for r in _RULES if final[r] and final[r][0] in ct._was_first]
    assert ends and starts
    others = _RULES[::7] + [".", "4", "a", "'s", ":)", "p.m."]
    batch = [a + " " + b for a in ends[::3] for b in others]
    batch += [a + " " + b for a in others for b in starts[::3]]
    for g in range(0, len(batch), 2000):
        part = batch[g : g + 2000]
        orth, lens = ChunkTokens(tok).orth(part)
        ref, ref_lens = _spacy_orth(tok, part)
        assert lens.tolist() == ref_lens
        np.testing.assert_array_equal(orth, ref)


@PROPS
@given(st.lists(st.tuples(st.sampled_from(_RULES), st.sampled_from(["", " ", " ", "."])), min_size=2,
                max_size=5).map(lambda parts: "".join(a + b for a, b in parts)))
def test_rules_side_by_side_give_spacys_tokens(text):
    tok = _MM.nlp.tokenizer
    orth, lens = ChunkTokens(tok).orth([text])
    ref, ref_lens = _spacy_orth(tok, [text])
    assert lens.tolist() == ref_lens
    np.testing.assert_array_equal(orth, ref)


# -- the executor's candidate filter: the previous implementation, verbatim ----------------------------

def _ref_candidates(self, cols, offsets, doc_of, aux):
    n = len(cols)
    member: dict[int, np.ndarray] = {}
    where: dict[int, np.ndarray] = {}
    type_row = np.ascontiguousarray(aux[:, self._aux_row]) if aux is not None else None

    def is_member(s: int) -> np.ndarray:
        m = member.get(s)
        if m is None:
            if type_row is not None:
                m = self._type_member[s][type_row]
            else:
                m = self._pred_mask(self._exec_preds[s], cols, regex=False)
            member[s] = m
        return m

    by_type: list = []

    def member_at(s: int, idx: np.ndarray) -> np.ndarray:
        if type_row is not None and s not in member:
            return self._type_member[s][type_row[idx]]
        return is_member(s)[idx]

    def positions(s: int) -> np.ndarray:
        w = where.get(s)
        if w is None:
            if type_row is not None and s not in member:
                if not by_type:
                    order = np.argsort(type_row)
                    by_type.extend((order, type_row[order]))
                order, rows = by_type
                types = np.flatnonzero(self._type_member[s])
                lo = np.searchsorted(rows, types, "left")
                cnt = np.searchsorted(rows, types, "right") - lo
                total = int(cnt.sum())
                if total * 8 < n:
                    take = np.repeat(lo - (np.cumsum(cnt) - cnt), cnt) + np.arange(total)
                    w = where[s] = np.sort(order[take])
                    return w
            w = where[s] = np.flatnonzero(is_member(s))
        return w

    doc_end = offsets[1:][doc_of] if n else np.zeros(0, dtype=np.int64)
    sent = cols[:, self._cols[_SENT]] if _SENT in self._cols else None
    progs, starts = [], []
    sent_pos = None
    for pi, (anchors, sent_first, min_len, prefix, later) in enumerate(self._plans):
        if anchors is None:
            if sent_first:
                if sent_pos is None:
                    sent_pos = np.flatnonzero(sent)
                start = sent_pos
            else:
                start = np.arange(n)
        else:
            parts = []
            for s, off in anchors:
                pos = positions(s)
                st_ = pos - off
                ok = st_ >= 0
                ok[ok] = doc_of[st_[ok]] == doc_of[pos[ok]]
                parts.append(st_[ok])
            start = parts[0] if len(parts) == 1 else np.unique(np.concatenate(parts))
        if not len(start):
            continue
        start = start[start + min_len <= doc_end[start]]
        for k, s, flag in prefix:
            if s is not None and len(start):
                start = start[member_at(s, start + k)]
            if flag is not None and len(start):
                start = start[sent[start + k] == flag]
        for min_off, s in later:
            if not len(start):
                break
            pos = positions(s)
            j = np.searchsorted(pos, start + min_off)
            nxt = np.append(pos, n)[j]
            start = start[nxt < doc_end[start]]
        if len(start):
            progs.append(np.full(len(start), pi, dtype=np.int64))
            starts.append(start)
    if not progs:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    return np.concatenate(progs), np.concatenate(starts)


def _batch(texts: list[str]):
    """The by-type path's batch arrays, as ``_count_orth`` builds them."""
    captured = {}
    real = _MM._count_columns

    def grab(docs, cols, offsets, doc_of, aux=None):
        captured.update(cols=cols, offsets=offsets, doc_of=doc_of, aux=aux)
        return real(docs, cols, offsets, doc_of, aux)

    _MM._count_columns = grab
    try:
        _MM._count_texts(texts, 1000)
    finally:
        del _MM._count_columns
    return captured


_en = st.lists(st.sampled_from(_WORDS + ["this", "is", "the", "room", "I'll", "look", "into", "it"]),
               max_size=25).map(" ".join)


@PROPS
@given(st.lists(_en, min_size=1, max_size=8))
def test_candidates_equal_previous_filter(texts):
    b = _batch(texts)
    if not len(b.get("cols", ())):
        return
    args = (b["cols"], b["offsets"], b["doc_of"], b["aux"])
    new = _MM._candidates(*args)
    ref = _ref_candidates(_MM, *args)
    np.testing.assert_array_equal(new[0], ref[0])
    np.testing.assert_array_equal(new[1], ref[1])
    # and on the doc path (no type rows): unchanged code, same candidates as the reference
    doc = _ProgramExecutor._candidates(_MM, b["cols"], b["offsets"], b["doc_of"], None)
    ref_doc = _ref_candidates(_MM, b["cols"], b["offsets"], b["doc_of"], None)
    np.testing.assert_array_equal(doc[1], ref_doc[1])


@PROPS
@given(st.lists(_en, min_size=1, max_size=8))
def test_dense_pair_anchors_equal_binary_search(texts):
    b = _batch(texts)
    if not len(b.get("cols", ())):
        return
    posidx = {c: b["aux"][:, j] for c, j in _MM._aux_vec.items()}
    fast = _MM._vec_fixed(b["cols"], b["doc_of"], posidx)
    saved = _MM._vt_anchor
    _MM._vt_anchor = [(*a[:-1], None) for a in saved]  # no dense tables: np.searchsorted on the keys
    try:
        ref = _MM._vec_fixed(b["cols"], b["doc_of"], posidx)
    finally:
        _MM._vt_anchor = saved
    for x, y in zip(fast, ref, strict=True):
        np.testing.assert_array_equal(x, y)


def test_dense_pair_tables_exist_for_english():
    assert any(a[1] and a[-1] is not None for a in _MM._vt_anchor)


# -- overlap resolution: the previous implementation, verbatim ----------------------------------------

def _ref_add_resolved(self, counts, keys, starts, ends, doc_of):
    if self._info_keys is None:
        items = sorted(self._info.items())
        self._info_keys = np.array([k for k, _ in items], dtype=np.uint64)
        self._info_mi = np.array([v[0] for _, v in items], dtype=np.int64)
        self._info_ex = np.array([v[2] for _, v in items], dtype=bool)
    row = np.searchsorted(self._info_keys, keys)
    n_markers = counts.shape[1]
    group = doc_of[starts] * n_markers + self._info_mi[row]
    order = np.lexsort((ends, starts, group))
    group, starts, ends, keys = group[order], starts[order], ends[order], keys[order]
    ex = self._info_ex[row[order]]
    new = np.ones(len(group), dtype=bool)
    new[1:] = group[1:] != group[:-1]
    gid = np.cumsum(new) - 1
    bad = ex.copy()
    bad[1:] |= ~new[1:] & (starts[1:] < ends[:-1])
    hard = np.bincount(gid, weights=bad, minlength=int(gid[-1]) + 1) > 0
    easy = ~hard[gid]
    flat = counts.reshape(-1)
    flat += np.bincount(group[easy], minlength=len(flat))[: len(flat)].astype(np.int64)
    if hard.any():
        rows = np.flatnonzero(~easy)
        hk, hs, he, hg = keys[rows].tolist(), starts[rows].tolist(), ends[rows].tolist(), group[rows]
        bounds = np.flatnonzero(np.diff(hg)) + 1
        for a, b in zip([0, *bounds.tolist()], [*bounds.tolist(), len(rows)], strict=True):
            matches = list(zip(hk[a:b], hs[a:b], he[a:b], strict=True))
            flat[int(hg[a])] += len(self._resolve_matches(matches))


# entries of two markers with exclude rules and of one without, so that groups mix all cases
_EX_MARKERS = [m for m in _MM.markers if _MM.lexicons[m].exclude][:2]
_KEYS = sorted({k for k, (mi, _, _) in _MM._info.items()
                if _MM.markers[mi] in _EX_MARKERS or mi == 0})


@PROPS
@given(st.lists(st.tuples(st.sampled_from(_KEYS), st.integers(0, 6), st.integers(1, 3), st.integers(0, 2)),
                min_size=1, max_size=12))
def test_overlap_resolution_equals_previous(matches):
    n_docs, n_tok = 3, 10
    keys = np.array([k for k, *_ in matches], dtype=np.uint64)
    starts = np.array([d * n_tok + s for _, s, _, d in matches], dtype=np.int64)
    ends = starts + np.array([ln for _, _, ln, _ in matches], dtype=np.int64)
    doc_of = np.repeat(np.arange(n_docs), n_tok)
    got = np.zeros((n_docs, len(_MM.markers)), dtype=np.int64)
    ref = got.copy()
    _MM._add_resolved(got, keys, starts, ends, doc_of)
    _ref_add_resolved(_MM, ref, keys, starts, ends, doc_of)
    np.testing.assert_array_equal(got, ref)


def test_overlap_resolution_has_exclude_rules_to_test():
    assert _EX_MARKERS


# -- schema checks and the feature table ----------------------------------------------------------------

_CHARS = ["a", " ", "\u200b", "\t", "en", "ja", "é", "\xa0", "x1"]
_values = st.lists(st.sampled_from(_CHARS), max_size=4).map("".join)


@PROPS
@given(st.lists(st.one_of(_values, st.none()), max_size=12))
def test_schema_checks_on_default_strings_equal_elementwise(values):
    s = pd.Series(values, dtype="str", index=np.arange(len(values)) * 2)
    for fast, one in [
        (schema._is_str, schema._str_value),
        (schema._is_str_or_na, schema._str_or_na_value),
        (schema._non_empty_text, schema._non_empty_value),
        (schema._LANG._check_fn, schema._lang_value),
    ]:
        pd.testing.assert_series_equal(fast(s), s.map(one).astype(bool), check_names=False)


@pytest.mark.parametrize("dtype", ["str", "string", object, pd.StringDtype("python", na_value=np.nan)])
def test_key_columns_equal_numpy_round_trip(dtype):
    s = pd.Series(["a", None, "b", "a"], dtype=dtype)
    ref = pd.DataFrame({"x": s.to_numpy()})
    got = pd.DataFrame({"x": _key_values(s)})
    pd.testing.assert_frame_equal(got, ref)
    assert got["x"].dtype == ref["x"].dtype


def test_feature_columns_are_independent_and_masked():
    utt = pd.DataFrame({"corpus": "demo", "dialogue_id": ["d1", "d1", "d2"], "turn": [0, 1, 0],
                        "role": ["customer", "agent", "agent"], "speaker": None,
                        "text": ["My order is late.", "I'm so sorry, let me check.", "Hallo"],
                        "lang": ["en", "en", "de"]})
    with pytest.warns(UserWarning, match="languages without lexicons"):
        feats = extract_features(utt)
    assert feats["m_apology"].tolist()[:2] == [0, 1]
    assert feats["m_apology"].isna().tolist() == [False, False, True]
    assert feats["n_tokens"].dtype == "Int64"
    before = feats["n_tokens"].tolist()
    feats.loc[0, "m_apology"] = 7  # writing one column leaves the others alone
    assert feats["n_tokens"].tolist() == before
    assert feats["m_apology"].tolist()[:2] == [7, 1]
    assert [str(feats[c].dtype) for c in ["corpus", "dialogue_id", "role", "lang"]] == ["str"] * 4
