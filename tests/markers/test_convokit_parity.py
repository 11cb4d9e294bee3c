"""Parity of the ``pol_convokit_*`` markers with ConvoKit 5.0.0's own ``politeness_api`` output.

Reference data
--------------
``tests/markers/data/convokit_reference.csv`` holds ConvoKit's 0/1 features for a fixed sample
(``omotenashi_research.parity.reference_sample``: 1,000 USS agent turns + 1,000 Stanford politeness
requests, ``DataFrame.sample(1000, random_state=12)`` each) as ``corpus``, ``id`` and one column per
strategy — ids and numbers only, no text. It was produced once, outside the repo, on 2026-11-28 with
``tests/markers/data/make_convokit_reference.py``::

    # throwaway environment (CPython 3.11.7), not part of the project's dependencies
    python3.11 -m venv /tmp/ck-venv
    /tmp/ck-venv/bin/pip install --no-deps convokit==5.0.0
    /tmp/ck-venv/bin/pip install spacy==3.8.18 pandas numpy   # spaCy as in the project venv
    # then ConvoKit's import requirements, added one by one until
    # `from convokit.politenessStrategies import PolitenessStrategies` imported:
    /tmp/ck-venv/bin/pip install pyyaml scipy bson pymongo scikit-learn matplotlib nltk cleantext
    # resolved: convokit 5.0.0, spacy 3.8.18, numpy 2.4.6, pandas 3.1.1, PyYAML 6.0.4, scipy 1.17.1,
    # bson 0.5.10, pymongo 4.20.1, scikit-learn 1.9.1, matplotlib 3.11.2, nltk 3.10.4, cleantext 1.1.4
    # (nltk/cleantext/matplotlib are only imported; no NLTK data and no spaCy model were downloaded)
    OMOTENASHI_DATA=/work/shared/corpora .venv/bin/python tests/markers/data/make_convokit_reference.py \\
        export /tmp/ck_sample.jsonl                  # project venv: ids + texts, outside the repo
    /tmp/ck-venv/bin/python tests/markers/data/make_convokit_reference.py \\
        convokit /tmp/ck_sample.jsonl tests/markers/data/convokit_reference.csv

``tests/markers/data/convokit_invented.csv`` holds invented edge-case texts (written for these tests,
no corpus text) with ConvoKit's output made by the same ``convokit`` step::

    .venv/bin/python tests/markers/data/make_convokit_reference.py invented /tmp/inv.jsonl
    /tmp/ck-venv/bin/python tests/markers/data/make_convokit_reference.py convokit /tmp/inv.jsonl /tmp/inv.csv
    # then the 21 strategy columns of /tmp/inv.csv were joined to the id/text columns

The ``convokit`` step builds a ``Corpus`` whose utterances carry the ``parsed`` meta that
``TextParser(mode="parse", spacy_nlp=nlp)`` stores, with ``nlp = spacy.blank("en")`` + ``sentencizer``
(ConvoKit's own ``_process_sentence``; ``TextParser`` itself segfaults inside spaCy's
``Token.children`` on unparsed docs), then runs ``PolitenessStrategies(strategy_collection=
"politeness_api").transform``. **No trained English parser was used**: official spaCy models cannot
be downloaded in this environment and project policy forbids English model downloads (unofficial
re-uploads were not used). Consequences:

- token-level strategies are checked exactly, given the sentencizer's sentence boundaries (ConvoKit
  with ``en_core_web_sm`` splits sentences with the parser);
- ``Hedges`` and ``Indirect (btw)`` need the parse for the whole rule: ConvoKit outputs 0 for every
  text here, so they could **not** be checked against ConvoKit-with-parser output (the test asserts
  the all-zero reference and checks our parse-based Hedges against ConvoKit's rule on hand-built
  parses instead);
- ``Factuality``, ``Gratitude`` and ``Apologizing`` are checked on their token-level part; our
  adjacent-token approximations of their parse-based parts may only *add* hits.

Regenerate ``docs/convokit_parity.md`` with ``python -m omotenashi_research.parity docs/convokit_parity.md``.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import spacy
from spacy.attrs import DEP, HEAD
from spacy.language import Language

from omotenashi_research import parity
from omotenashi_research.markers import count_markers
from omotenashi_research.markers import politeness as pol
from omotenashi_research.markers.lexicon import load_lexicons
from omotenashi_research.nlp import EN_MODEL_ENV

KAPPA_MIN = 0.95
# Whole rule needs the dependency parse: always 0 in the blank-parse reference.
PARSE_ONLY = ("Hedges", "Indirect_(btw)")
# Token-level part checked; the parse part is approximated by us (may only add hits).
PARSE_PART = ("Factuality", "Gratitude", "Apologizing")


@pytest.fixture(scope="module")
def reference() -> pd.DataFrame:
    return pd.read_csv(parity.REFERENCE_CSV, dtype={"corpus": str, "id": str})


def test_reference_file_shape(reference):
    # ids + numbers only: no text column, 2,000 rows, 0/1 values, every strategy present.
    assert list(reference.columns) == ["corpus", "id", *parity.STRATEGY_MARKERS]
    assert len(reference) == 2 * parity.N_PER_CORPUS and reference["id"].is_unique
    values = reference[list(parity.STRATEGY_MARKERS)].to_numpy()
    assert set(np.unique(values)) <= {0, 1}
    assert reference["corpus"].str.startswith("uss-").sum() == parity.N_PER_CORPUS
    # Hand-checked totals of the stored reference (guards against an accidental overwrite).
    assert reference["HASPOSITIVE"].sum() == 833 and reference["HASNEGATIVE"].sum() == 453
    assert reference["2nd_person"].sum() == 1172 and reference["Direct_start"].sum() == 100
    for strat in PARSE_ONLY:  # no parser: ConvoKit cannot fire these rules
        assert reference[strat].sum() == 0, strat


@pytest.fixture(scope="module")
def ours(reference, corpora_dir) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # load_uss warns about ReDial's documented empty lines
        sample = parity.reference_sample()
    assert sample["id"].tolist() == reference["id"].tolist(), "sample ids differ from the stored reference"
    assert sample["corpus"].tolist() == reference["corpus"].tolist()
    return parity.our_counts(sample["text"].tolist())


@pytest.mark.corpus
@pytest.mark.parametrize("strategy", [s for s in parity.STRATEGY_MARKERS if s not in PARSE_ONLY])
def test_kappa_per_strategy(reference, ours, strategy):
    table = parity.parity_table(reference, ours).set_index("strategy")
    assert table.loc[strategy, "kappa"] >= KAPPA_MIN, table.loc[strategy].to_dict()
    if strategy in PARSE_PART:  # the reference lacks their parse part: per-corpus kappa says little
        return
    for mask in (reference["corpus"].str.startswith("uss-"), ~reference["corpus"].str.startswith("uss-")):
        sub = parity.parity_table(reference[mask].reset_index(drop=True), ours[mask].reset_index(drop=True))
        row = sub.set_index("strategy").loc[strategy]
        assert row["kappa"] >= KAPPA_MIN, row.to_dict()


@pytest.mark.corpus
@pytest.mark.parametrize("strategy", [s for s in parity.STRATEGY_MARKERS if s not in PARSE_ONLY + PARSE_PART])
def test_token_level_strategies_agree_exactly(reference, ours, strategy):
    marker = f"m_{parity.STRATEGY_MARKERS[strategy]}"
    mismatch = np.flatnonzero((ours[marker].to_numpy() > 0) != (reference[strategy].to_numpy() > 0))
    assert len(mismatch) == 0, reference.loc[mismatch[:10], ["corpus", "id"]].to_dict("records")


@pytest.mark.corpus
@pytest.mark.parametrize("strategy", PARSE_PART)
def test_parse_part_only_adds_hits(reference, ours, strategy):
    # The token-level part is exact, so ConvoKit's hits are all ours; extra hits come only from our
    # approximation of the parse-based part, which the blank-parse reference cannot fire.
    marker = f"m_{parity.STRATEGY_MARKERS[strategy]}"
    missed = (reference[strategy].to_numpy() > 0) & (ours[marker].to_numpy() == 0)
    assert not missed.any(), reference.loc[missed, ["corpus", "id"]].head(10).to_dict("records")


@pytest.mark.corpus
def test_docs_page_is_generated_from_current_data(reference, ours):
    # docs/convokit_parity.md must be what the generator writes now (regenerate, never hand-edit).
    page = parity.REFERENCE_CSV.parents[3] / "docs" / "convokit_parity.md"
    assert page.read_text(encoding="utf-8") == parity.docs_text(reference, ours), (
        "docs/convokit_parity.md is stale: run `python -m omotenashi_research.parity docs/convokit_parity.md`"
    )


def test_cohen_kappa_known_values():
    # 2x2 table a=1,b=1: 2; a=1,b=0: 1; a=0,b=1: 0; a=0,b=0: 1 -> po=.75, pe=.75*.5+.25*.5=.5, kappa=.5
    assert parity.cohen_kappa([1, 1, 1, 0], [1, 1, 0, 0]) == pytest.approx(0.5)
    assert parity.cohen_kappa([0, 0, 0], [0, 0, 0]) == 1.0
    assert parity.cohen_kappa([1, 0], [0, 1]) == pytest.approx(-1.0)
    with pytest.raises(ValueError, match="different lengths"):
        parity.cohen_kappa([1], [1, 0])


def test_parity_table_counts_presence():
    ref = pd.DataFrame({"corpus": ["x"] * 4, "id": list("abcd"), "Please": [1, 1, 0, 0]})
    ours = pd.DataFrame({"m_pol_convokit_please": [3, 0, 0, 0]})
    row = parity.parity_table(ref, ours).iloc[0]
    assert (row["convokit_n"], row["ours_n"], row["agree"]) == (2, 1, 0.75)
    assert row["kappa"] == pytest.approx(0.5)
    with pytest.raises(ValueError, match="rows"):
        parity.parity_table(ref, ours.iloc[:2])


# --- invented edge cases, no corpus needed ---------------------------------------------------

# Texts of convokit_invented.csv on which we knowingly differ from ConvoKit on token-level rules:
# ConvoKit strips the text before parsing, our engine keeps leading whitespace as a token (so the
# first word is not a sentence start); NFKC normalisation turns full-width 'Ｓｏ' into 'So'.
LEADING_SPACE = {"inv001", "inv002", "inv003"}
NFKC = {"inv063"}


@pytest.fixture(scope="module")
def invented():
    ref = pd.read_csv(parity.REFERENCE_CSV.with_name("convokit_invented.csv"), dtype={"id": str},
                      keep_default_na=False)
    return ref, parity.our_counts(ref["text"].tolist())


@pytest.mark.parametrize("strategy", [s for s in parity.STRATEGY_MARKERS if s not in PARSE_ONLY + PARSE_PART])
def test_invented_texts_token_level_exact(invented, strategy):
    ref, ours = invented
    keep = ~ref["id"].isin(LEADING_SPACE | NFKC).to_numpy()
    mine = ours[f"m_{parity.STRATEGY_MARKERS[strategy]}"].to_numpy(dtype=int) > 0
    bad = np.flatnonzero(keep & (mine != (ref[strategy].to_numpy() > 0)))
    assert len(bad) == 0, ref.loc[bad, ["id", "text", strategy]].to_dict("records")


@pytest.mark.parametrize("strategy", PARSE_PART)
def test_invented_texts_parse_part_only_adds_hits(invented, strategy):
    ref, ours = invented
    missed = (ref[strategy].to_numpy() > 0) & (ours[f"m_{parity.STRATEGY_MARKERS[strategy]}"].to_numpy() == 0)
    assert not missed.any(), ref.loc[missed, ["id", "text"]].to_dict("records")


def test_invented_texts_approximate_parse_rules():
    # The blank-parse reference cannot fire these; ConvoKit with a parser would (nsubj / pobj / det / dobj).
    counts = count_markers(["I think it is closed.", "By the way, it is free.", "In fact, it is.",
                            "I apologize.", "Excuse me."], "en")
    assert counts["pol_convokit_hedges"].tolist() == [1, 0, 0, 0, 0]
    assert counts["pol_convokit_indirect_btw"].tolist() == [0, 1, 0, 0, 0]
    assert counts["pol_convokit_factuality"].tolist() == [0, 0, 1, 0, 0]
    assert counts["pol_convokit_apologizing"].tolist() == [0, 0, 0, 1, 1]


@pytest.mark.xfail(strict=True, reason="engine keeps leading whitespace as the first token; ConvoKit strips "
                                       "the text first (fix belongs in the engine/normalisation)")
def test_leading_whitespace_sentence_start_like_convokit(invented):
    ref, ours = invented
    rows = ref["id"].isin(LEADING_SPACE).to_numpy()
    assert (ours.loc[rows, "m_pol_convokit_direct_start"].to_numpy() > 0).tolist() == \
        (ref.loc[rows, "Direct_start"] > 0).tolist()


def test_full_width_latin_is_normalised_unlike_convokit(invented):
    # Deliberate: the package NFKC-normalises texts (omotenashi_research.text), ConvoKit does not.
    ref, ours = invented
    row = np.flatnonzero(ref["id"].isin(NFKC).to_numpy())
    assert ref.loc[row, "Direct_start"].tolist() == [0]
    assert ours.loc[row, "m_pol_convokit_direct_start"].tolist() == [1]


# --- full opinion lexicons -------------------------------------------------------------------

@pytest.mark.parametrize(
    ("marker", "n"), [("pol_convokit_haspositive", 2006), ("pol_convokit_hasnegative", 4783)]
)
def test_full_liu_lexicons(marker, n):
    words = load_lexicons("en")[marker].entries[0].pattern[0]["LOWER"]["IN"]
    assert len(words) == n and len(set(words)) == n  # Hu & Liu counts, no duplicates
    assert all(isinstance(w, str) and w == w.strip() and w for w in words)


def test_liu_words_fire():
    # Invented texts; words from deep inside the alphabetical lists (absent from the old subsets).
    counts = count_markers(["The view was breathtaking.", "The staff was abrasive.", "Naïve plan."], "en")
    assert counts["pol_convokit_haspositive"].tolist() == [1, 0, 0]
    assert counts["pol_convokit_hasnegative"].tolist() == [0, 1, 1]


def test_indicative_subjunctive_lowercase_you():
    # ConvoKit lower-cases tokens before comparing the next token with 'you'.
    counts = count_markers(["Could You help?", "Can YOU help?"], "en")
    assert counts["pol_convokit_subjunctive"].tolist() == [1, 0]
    assert counts["pol_convokit_indicative"].tolist() == [0, 1]


# --- parse-based Hedges ----------------------------------------------------------------------

def _doc(words, heads, deps):
    return spacy.tokens.Doc(spacy.blank("en").vocab, words=words, heads=heads, deps=deps)


@pytest.mark.parametrize(
    ("words", "heads", "deps", "expected"),
    [
        # ConvoKit Hedges: nsubj token whose head is a single-word hedge.
        (["I", "think", "so"], [1, 1, 1], ["nsubj", "ROOT", "advmod"], 1),
        (["The", "data", "suggest", "so"], [1, 2, 2, 2], ["det", "nsubj", "ROOT", "advmod"], 1),
        (["I", "Think", "we", "guess"], [1, 1, 3, 1], ["nsubj", "ROOT", "nsubj", "ccomp"], 2),
        # head not a hedge / label not nsubj / the root itself
        (["I", "know", "it"], [1, 1, 1], ["nsubj", "ROOT", "dobj"], 0),
        (["You", "are", "supposed"], [2, 2, 2], ["nsubjpass", "auxpass", "ROOT"], 0),
        (["think"], [0], ["nsubj"], 0),
    ],
)
def test_hedge_count_follows_convokit_rule(words, heads, deps, expected):
    assert pol.hedge_count(_doc(words, heads, deps)) == expected


@Language.component("omotenashi_test_fake_parser")
def _fake_parser(doc):
    # Invented stand-in for a trained parser: a token right before a hedge word is its nsubj;
    # everything else hangs off the last token (a valid tree: heads only point rightwards).
    n, words = len(doc), pol.hedge_words()
    heads, deps = np.zeros((n, 2), dtype=np.uint64), []
    for i in range(n):
        j = i + 1 if i + 1 < n and doc[i + 1].lower_ in words else n - 1
        heads[i, 0] = np.uint64(j - i) if j >= i else np.array(j - i, dtype=np.int64).view(np.uint64)
        deps.append("nsubj" if j == i + 1 and doc[j].lower_ in words else ("ROOT" if j == i else "dep"))
    heads[:, 1] = [doc.vocab.strings.add(d) for d in deps]
    doc.from_array([HEAD, DEP], heads)
    return doc


def test_parse_hedges_hook_replaces_counts(monkeypatch):
    monkeypatch.delenv(EN_MODEL_ENV, raising=False)  # the default: no English parser
    texts = ["The data suggest so.", "Maybe it is closed.", "I really think so.", "Thanks."] * 3
    plain = count_markers(texts, "en", batch_size=2)["pol_convokit_hedges"].tolist()
    assert plain == [0, 0, 1, 0] * 3  # token approximation: 'data' is not a subject pronoun
    nlp = spacy.blank("en")
    nlp.add_pipe("omotenashi_test_fake_parser", name="parser")
    monkeypatch.setattr(pol, "parser_pipeline", lambda: nlp)
    parsed = count_markers(texts, "en", batch_size=2)
    assert parsed["pol_convokit_hedges"].tolist() == [1, 0, 1, 0] * 3
    monkeypatch.undo()
    # only the Hedges column comes from the parse
    other = [c for c in parsed if c != "pol_convokit_hedges"]
    pd.testing.assert_frame_equal(parsed[other], count_markers(texts, "en", batch_size=2)[other])


def test_no_parser_by_default(monkeypatch):
    monkeypatch.delenv(EN_MODEL_ENV, raising=False)
    assert pol.parser_pipeline() is None
    texts = iter(["I think so."])
    same, fix = pol.parse_hedges_hook(texts, ["pol_convokit_hedges"])
    assert same is texts and list(fix(iter([1, 2]))) == [1, 2]
