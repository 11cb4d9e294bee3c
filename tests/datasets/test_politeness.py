"""Stanford politeness loader: counts from SOURCE.md and the ACL 2013 paper; quartile labelling properties."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from omotenashi_research.datasets.politeness import load_stanford_politeness, quartile_labels
from omotenashi_research.errors import CorpusNotFoundError, TranscriptValidationError
from omotenashi_research.schema import validate_sentences


def test_quartile_labels_known_answer():
    # R (type 7 = pandas' linear): quantile(c(0, 1, 2, 3, 4), c(.25, .5, .75)) -> 1 2 3
    out = quartile_labels(pd.Series([4.0, 0.0, 2.0, 1.0, 3.0]))
    assert out["quartile"].tolist() == [4, 1, 2, 1, 4]
    assert out["polite_label"].tolist() == [1, 0, pd.NA, 0, 1]


@given(st.lists(st.floats(-5, 5, allow_nan=False), min_size=4, max_size=60, unique=True))
def test_quartile_labels_properties(values):
    s = pd.Series(values)
    out = quartile_labels(s)
    n = len(s)
    label = out["polite_label"]
    assert len(out) == n and out.index.equals(s.index)
    # a quarter of distinct scores on each side, up to rounding
    assert abs((label == 1).sum() - n / 4) <= 1 and abs((label == 0).sum() - n / 4) <= 1
    assert (out.loc[label.fillna(-1) == 1, "quartile"] == 4).all()
    assert (out.loc[label.fillna(-1) == 0, "quartile"] == 1).all()
    # monotone: a higher score never gets a lower quartile
    ordered = out["quartile"].to_numpy()[s.argsort().to_numpy()]
    assert (ordered[1:] >= ordered[:-1]).all()


def test_missing_corpus_says_how_to_fetch(tmp_path):
    with pytest.raises(CorpusNotFoundError, match="fetch"):
        load_stanford_politeness(data_dir=tmp_path, verify=False)


def test_unknown_domain():
    with pytest.raises(ValueError, match="unknown domain"):
        load_stanford_politeness(["reddit"])


HEADER = "Community,Id,Request,Score1,Score2,Score3,Score4,Score5,TurkId1,TurkId2,TurkId3,TurkId4,TurkId5," \
         "Normalized Score\n"


@pytest.mark.parametrize(("line", "match"), [
    ("Wikipedia,1,Could you help?,13,9,11,26,5,a,b,c,d,e,0.1", r"row 2: column 'Score4'.*1-25.*'26'"),
    ("Wikipedia,1,Could you help?,13,9,11,11,5,a,b,c,d,e,high", r"row 2: column 'Normalized Score'"),
    ("Wikipedia,2,Could you help?,13,9,11,11,5,a,b,c,d,e,0.3", r"rows? .*duplicate request id"),
])
def test_bad_rows_are_named(tmp_path, line, match):
    folder = tmp_path / "stanford_politeness" / "corpora"
    folder.mkdir(parents=True)
    good = "Wikipedia,2,Would you please check this?,20,21,19,22,18,a,b,c,d,e,0.9\n"
    (folder / "wikipedia.annotated.csv").write_text(HEADER + good + line + "\n", encoding="utf-8")
    with pytest.raises(TranscriptValidationError, match=match) as err:
        load_stanford_politeness(["wikipedia"], data_dir=tmp_path, verify=False)
    assert "wikipedia.annotated.csv" in str(err.value)


@pytest.fixture(scope="module")
def pol(corpora_dir):
    return load_stanford_politeness(data_dir=corpora_dir)


@pytest.mark.corpus
def test_counts_match_source_md_and_paper(pol):
    validate_sentences(pol)
    assert pol.groupby("domain").size().to_dict() == {"wikipedia": 4353, "stack-exchange": 6603}
    # ACL 2013 paper, binary task: 1,089 polite + 1,089 impolite (WIKI), 1,651 + 1,651 (SE)
    assert pol.groupby("domain")["polite_label"].value_counts().to_dict() == {
        ("stack-exchange", 0): 1651, ("stack-exchange", 1): 1651,
        ("wikipedia", 0): 1089, ("wikipedia", 1): 1089}
    assert pol["item_id"].is_unique
    assert pol["scores"].map(lambda t: len(t) == 5 and min(t) >= 1 and max(t) <= 25).all()
    assert (pol.loc[pol["domain"] == "stack-exchange", "community"] == "Stack Overflow").sum() == 4003


@pytest.mark.corpus
def test_first_wikipedia_row_scores(pol):
    # first data row of wikipedia.annotated.csv: ratings 13, 9, 11, 11, 5 -> mean 9.8
    row = pol[pol["item_id"] == "wikipedia:629705"].iloc[0]
    assert row["scores"] == (13, 9, 11, 11, 5)
    assert row["mean_score"] == pytest.approx(9.8)
    assert row["score"] == pytest.approx(-1.1200492637766977)
    assert row["polite_label"] == 0


@pytest.mark.corpus
def test_quartiles_are_per_domain_whatever_is_loaded(corpora_dir, pol):
    wiki = load_stanford_politeness(["wikipedia"], data_dir=corpora_dir)
    both = pol[pol["domain"] == "wikipedia"].reset_index(drop=True)
    assert wiki["polite_label"].equals(both["polite_label"])
