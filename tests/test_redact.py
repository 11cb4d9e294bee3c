"""redact: known answers on invented texts, and properties (keys kept, planted PII never survives).

Every text here is invented; the e-mail domains are reserved examples (RFC 2606), the card numbers
are the well-known test numbers or generated, and the phone numbers are generated.
"""

from __future__ import annotations

import string

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from omotenashi_research.redact import (
    PLACEHOLDERS,
    REPORT_COLUMNS,
    find_pii,
    neutralize_cell,
    neutralize_formulas,
    redact,
    redact_text,
)


def _table(texts, lang="en"):
    return pd.DataFrame({
        "corpus": "t", "dialogue_id": "d", "turn": list(range(len(texts))), "role": "customer",
        "speaker": None, "text": texts, "lang": lang,
    })


# ------------------------------------------------------------------------------------ known answers

@pytest.mark.parametrize(("text", "expected"), [
    ("Mail me at jo.park+hotel@example.com, thanks", "Mail me at [EMAIL], thanks"),
    ("メールはtaro.yamada@example.co.jpです", "メールは[EMAIL]です"),
    ("携帯は090-1234-5678です", "携帯は[PHONE]です"),
    ("携帯は０９０－１２３４－５６７８です", "携帯は[PHONE]です"),   # full-width digits and dashes
    ("代表 03-1234-5678 まで", "代表 [PHONE] まで"),
    ("フリーダイヤル0120-123-456", "フリーダイヤル[PHONE]"),
    ("03(1234)5678 / (03)1234-5678 / 09012345678", "[PHONE] / [PHONE] / [PHONE]"),
    ("From abroad: +81 90-1234-5678.", "From abroad: [PHONE]."),
    ("+81 (0)3-1234-5678", "[PHONE]"),
    ("UK office +44 20 7946 0958", "UK office [PHONE]"),
    ("Call (555) 123-4567 or 555.123.4567", "Call [PHONE] or [PHONE]"),
    ("Card 4111 1111 1111 1111 please", "Card [CARD] please"),
    ("4111-1111-1111-1111", "[CARD]"),
    ("Amex 378282246310005.", "Amex [CARD]."),
    ("〒150-0001 東京都", "〒[POSTCODE] 東京都"),
    ("郵便番号：1500001", "郵便番号：[POSTCODE]"),
    ("See https://example.com/a?b=1.", "See [URL]."),
    ("(see https://en.wikipedia.org/wiki/Foo_(bar))", "(see [URL])"),
    ("詳しくはwww.example.jp/faqをご覧ください", "詳しくは[URL]をご覧ください"),
    ("こちらhttps://example.jp/rsvから", "こちら[URL]から"),
    ("山田様、ご予約ありがとうございます。", "[NAME]様、ご予約ありがとうございます。"),
    ("タナカさん、佐藤氏、鈴木一郎様", "[NAME]さん、[NAME]氏、[NAME]様"),
    ("担当の田中と申します。", "担当の[NAME]と申します。"),
    ("Good morning, Ms. Miller.", "Good morning, Ms. [NAME]."),
    ("Dr. Jane Smith will see you", "Dr. [NAME] will see you"),
    ("Hi, my name is Alex Chen.", "Hi, my name is [NAME]."),
])
def test_known_answers(text, expected):
    assert redact_text(text) == expected


@pytest.mark.parametrize("text", [
    "お客様、皆様、お子様、奥様、様々なご要望、同様に、仕様、ご予約者様、店員さん、お疲れ様です",
    "たくさんのお客さん、皆さん、お母さん、社長さん、本屋さん、ご苦労様",
    "Your booking is for 2024-01-15, room 1203, 3,000円, at 10:30 for 2 people.",
    "Order 4111 1111 1111 1112 is not a card (Luhn fails)",   # one digit off the test number
    "Thank you, Mr. and Mrs. all of you",                     # no capitalised name after the title
    "Version 1.2.3 costs $19.99; code 123-4567 without a postal mark",
])
def test_no_false_positives(text):
    assert redact_text(text) == text


def test_find_pii_offsets_and_types():
    text = "Mail jo@example.org or call 090-1234-5678."
    assert find_pii(text) == [(5, 19, "email"), (28, 41, "phone")]
    assert find_pii(text, types=["phone"]) == [(28, 41, "phone")]
    with pytest.raises(ValueError, match="unknown PII type"):
        find_pii(text, types=["ssn"])


def test_overlaps_are_merged_and_typed_by_the_longest():
    # an e-mail inside a URL: one replacement, no fragment of either left
    assert redact_text("go to https://example.com/?u=jo@example.org now") == "go to [URL] now"
    # two cards in a row, and a card next to another number
    assert redact_text("4111 1111 1111 1111 5555 5555 5555 4444") == "[CARD]"
    assert redact_text("4111 1111 1111 1111 2 nights") in ("[CARD] 2 nights", "[CARD] nights")


def test_name_list_whole_words_any_case():
    assert redact_text("sato and SATO but not Satoshi", names=["Sato"]) == "[NAME] and [NAME] but not Satoshi"
    assert redact_text("伊集院はおりません", names=["伊集院"]) == "[NAME]はおりません"
    assert redact_text("no names", names=[]) == "no names"


def test_table_report_says_where_and_never_what():
    texts = ["I'm Jo Park, jo.park@example.com", "Thank you, Ms. Park.", "Nothing here"]
    utt = _table(texts)
    clean, report = redact(utt, names=["Jo Park"])
    assert clean["text"].tolist() == ["I'm [NAME], [EMAIL]", "Thank you, Ms. [NAME].", "Nothing here"]
    assert list(report.columns) == list(REPORT_COLUMNS)
    assert report[["row", "turn", "type", "start", "end", "placeholder"]].values.tolist() == [
        [0, 0, "name", 4, 11, "[NAME]"], [0, 0, "email", 13, 32, "[EMAIL]"], [1, 1, "name", 15, 19, "[NAME]"],
    ]
    # offsets point into the original text
    assert texts[0][13:32] == "jo.park@example.com"
    # the report holds no redacted value, in full or in part
    cells = " ".join(map(str, report.to_numpy().ravel()))
    for secret in ("Jo Park", "jo.park", "example.com", "Park"):
        assert secret not in cells
    # the digest links equal values within one report, not across reports
    _, again = redact(_table(["jo.park@example.com", "jo.park@example.com"]))
    assert again["digest"].nunique() == 1
    _, other = redact(_table(["jo.park@example.com"]))
    assert other["digest"].iloc[0] != again["digest"].iloc[0]


def test_other_columns_index_and_dtypes_unchanged():
    utt = _table(["call 090-1234-5678", "fine"]).set_axis([10, 20])
    utt["sat_turn"] = [1.0, np.nan]
    clean, report = redact(utt, columns=["text", "speaker"])
    assert clean.index.tolist() == [10, 20] and report["row"].tolist() == [10]
    pd.testing.assert_frame_equal(clean.drop(columns="text"), utt.drop(columns="text"))
    assert clean["text"].dtype == utt["text"].dtype


def test_bad_arguments_are_clear():
    utt = _table(["x"])
    with pytest.raises(ValueError, match="key column"):
        redact(utt, columns=["text", "dialogue_id"])
    with pytest.raises(KeyError, match="not in the table"):
        redact(utt, columns=["message"])
    with pytest.raises(TypeError, match="DataFrame"):
        redact(["a list"])


def test_english_ner_without_a_model_warns(monkeypatch):
    monkeypatch.delenv("OMOTENASHI_EN_MODEL", raising=False)
    with pytest.warns(UserWarning, match="no NER model for 'en'"):
        clean, _ = redact(_table(["Jane Doe called"]), ner=True)
    assert clean["text"].iloc[0] == "Jane Doe called"  # no title, no list entry, no model: kept


def test_ginza_ner_finds_japanese_names_without_honorifics():
    pytest.importorskip("ja_ginza")
    utt = _table(["鈴木一郎から連絡がありました。", "雨が降っています。"], lang="ja")
    without, _ = redact(utt)
    assert without["text"].tolist() == utt["text"].tolist()
    with_ner, report = redact(utt, ner=True)
    assert with_ner["text"].iloc[0].startswith("[NAME]") and "鈴木" not in with_ner["text"].iloc[0]
    assert with_ner["text"].iloc[1] == "雨が降っています。"
    assert set(report["type"]) == {"name"}


def test_neutralize_formulas():
    df = pd.DataFrame({"text": ['=HYPERLINK("http://x.test","x")', "+1", "-", "@SUM(A1)", "\tx", "ok", None],
                       "n": [-1, 2, 3, 4, 5, 6, 7]})
    out = neutralize_formulas(df)
    assert out["text"].tolist()[:6] == ["'=HYPERLINK(\"http://x.test\",\"x\")", "'+1", "'-", "'@SUM(A1)",
                                        "'\tx", "ok"]
    assert pd.isna(out["text"].iloc[6])
    assert out["n"].tolist() == df["n"].tolist()
    assert neutralize_cell(-3) == -3 and neutralize_cell("a=b") == "a=b"
    assert list(neutralize_formulas(pd.DataFrame({"=x": [1]})).columns) == ["'=x"]


# ------------------------------------------------------------------------------------ properties

def _luhn_complete(body: str) -> str:
    """Append the Luhn check digit."""
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            d -= 9 if d > 9 else 0
        total += d
    return body + str((10 - total % 10) % 10)


@st.composite
def cards(draw):
    n = draw(st.integers(13, 19))
    digits = _luhn_complete(draw(st.text(string.digits, min_size=n - 1, max_size=n - 1)))
    sep = draw(st.sampled_from(["", " ", "-"]))
    return sep.join(digits[i : i + 4] for i in range(0, n, 4)) if sep else digits


def _digits(n):
    return st.text(string.digits, min_size=n, max_size=n)


@st.composite
def phones(draw):
    kind = draw(st.sampled_from(["jp_mobile", "jp_land", "jp_plain", "plus81", "e164", "na"]))
    sep = draw(st.sampled_from(["-", " ", ""]))
    if kind == "jp_mobile":
        return sep.join(["0" + draw(st.sampled_from("789")) + "0", draw(_digits(4)), draw(_digits(4))])
    if kind == "jp_land":
        return sep.join(["0" + draw(st.sampled_from("123456")), draw(_digits(4)), draw(_digits(4))])
    if kind == "jp_plain":
        return "0" + draw(st.sampled_from("789")) + "0" + draw(_digits(8))
    if kind == "plus81":
        mobile = "0" + draw(st.sampled_from("789")) + "0"
        return "+81" + sep + mobile[1:] + sep + draw(_digits(4)) + sep + draw(_digits(4))
    if kind == "e164":
        cc = draw(st.sampled_from(["1", "33", "44", "49", "65", "82", "852", "886"]))
        national = draw(_digits(draw(st.integers(8, 15 - len(cc)))))
        if sep:
            national = sep.join(national[i : i + 3] for i in range(0, len(national), 3))
        return f"+{cc}{sep}{national}"
    return f"({draw(_digits(3))}) {draw(_digits(3))}-{draw(_digits(4))}"


_LOCAL = st.text(string.ascii_letters + string.digits + "_+-", min_size=1, max_size=12)
_LABEL = st.text(string.ascii_lowercase + string.digits, min_size=1, max_size=10)
emails = st.builds(lambda a, b, c, tld: f"{a}@{b}.{c}.{tld}", _LOCAL, _LABEL, _LABEL,
                   st.sampled_from(["com", "jp", "org", "co.jp", "example"])) | st.emails()
pii = st.one_of(emails.map(lambda v: ("email", v)), phones().map(lambda v: ("phone", v)),
                cards().map(lambda v: ("card", v)))
# Surrounding text in both scripts with digits and punctuation; PII is planted between spaces.
_FILLER = st.text(
    alphabet=string.ascii_letters + string.digits + " .,!?:;()'\"#%&" + "ありがとうございます。"
    + "お客様田中タナカ、〒",
    max_size=40,
)


@st.composite
def planted_tables(draw):
    n = draw(st.integers(1, 6))
    rows, planted = [], []
    ids = draw(st.lists(st.text(string.ascii_letters + string.digits + "-_@.", min_size=1, max_size=8),
                        min_size=1, max_size=3, unique=True))
    for i in range(n):
        secrets = draw(st.lists(pii, max_size=3))
        parts = [draw(_FILLER)]
        for _, value in secrets:
            parts += [" ", value, " ", draw(_FILLER)]
        text = "".join(parts)
        if not text.strip():
            text = "x"
        planted.append([v for _, v in secrets])
        rows.append({"corpus": "gen", "dialogue_id": draw(st.sampled_from(ids)), "turn": i, "role": "agent",
                     "speaker": None, "text": text, "lang": draw(st.sampled_from(["en", "ja"]))})
    return pd.DataFrame(rows), planted


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=planted_tables())
def test_planted_pii_never_survives_and_keys_are_kept(data):
    utt, planted = data
    clean, report = redact(utt)
    assert len(clean) == len(utt)
    assert clean.index.equals(utt.index)
    pd.testing.assert_frame_equal(clean.drop(columns="text"), utt.drop(columns="text"))
    for text, secrets in zip(clean["text"], planted, strict=True):
        for value in secrets:
            assert value not in text
    # every planted value gave at least one report row in its row
    counts = report.groupby("row").size()
    for i, secrets in enumerate(planted):
        if secrets:
            assert counts.get(i, 0) >= 1
    # placeholders only come from the documented set
    assert set(report["placeholder"]) <= set(PLACEHOLDERS.values())


@settings(max_examples=200, deadline=None)
@given(value=st.one_of(phones(), cards(), emails))
def test_each_planted_value_is_redacted_whole(value):
    # between Japanese text with no spaces (how Japanese is written)
    out = redact_text(f"お問い合わせは{value}までお願いします")
    assert value not in out
    assert out.startswith("お問い合わせは[") and out.endswith("]までお願いします")


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=60))
def test_any_text_redacts_without_error_and_is_stable(text):
    once = redact_text(text)
    assert redact_text(once) == once   # placeholders are not themselves PII


# ------------------------------------------------------------------------------------ write_transcripts

def test_write_transcripts_redacts_and_escapes_formulas(tmp_path):
    from omotenashi_research.io import read_transcripts, write_transcripts

    utt = _table(['=HYPERLINK("http://evil.test","open")', "Call me on 090-1234-5678, Mr. Grant", "-5 stars"])
    plain = read_transcripts(write_transcripts(utt, tmp_path / "plain.csv"))
    assert plain["text"].tolist() == utt["text"].tolist()        # default: exact round trip
    safe = read_transcripts(write_transcripts(utt, tmp_path / "safe.csv", redact=True, formulas="escape"))
    assert safe["text"].tolist() == ["'=HYPERLINK(\"[URL]\",\"open\")", "Call me on [PHONE], Mr. [NAME]",
                                     "'-5 stars"]
    assert safe["turn"].tolist() == [0, 1, 2]
    # JSONL is not opened by spreadsheets: formulas are left alone there, redaction still applies
    js = read_transcripts(write_transcripts(utt, tmp_path / "s.jsonl", redact={"types": ["phone"]},
                                            formulas="escape"))
    assert js["text"].tolist() == [utt["text"][0], "Call me on [PHONE], Mr. Grant", "-5 stars"]
    with pytest.raises(ValueError, match="formulas"):
        write_transcripts(utt, tmp_path / "x.csv", formulas="strip")
