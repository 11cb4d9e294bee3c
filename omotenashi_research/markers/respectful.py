"""The respectful passive 〜れる/〜られる (尊敬の「れる・られる」) as a sentence-level heuristic.

It is spelled like the passive and the potential, so it cannot be a lexicon entry: a token rule
decides from the sentence around it (:func:`respectful_passive_positions`). The packaged Japanese
:class:`~omotenashi_research.markers.engine.MarkerMatcher` adds the ``"heuristic"`` positions to
``sonkeigo`` (entry id :data:`RERU_ENTRY_ID`), as the codebook counts "respectful 〜れる/〜られる"
as sonkeigo; :func:`omotenashi_research.markers.keigo.keigo_features` offers the other modes.
"""

from __future__ import annotations

from spacy.attrs import LEMMA
from spacy.strings import hash_string
from spacy.tokens import Doc

__all__ = ["RERU_ENTRY_ID", "respectful_passive_positions", "respectful_passive_spans"]

RERU_ENTRY_ID = "ja_sonkeigo_reru_passive"

_RERU_MODES = ("heuristic", "all", "none")
# lemma hashes of the two auxiliaries: a doc holding neither has no candidate (see _is_reru)
_RERU_LEMMA_KEYS = (hash_string("れる"), hash_string("られる"))

_SENT_END = frozenset("。．.！!？?\n")
# Words that put an honoured person in the sentence (as subject/topic): make a れる/られる respectful.
_HONOURED_NOUNS = frozenset(
    "先生 社長 部長 課長 会長 専務 常務 教授 殿下 陛下 皆様 皆さま 貴方 あなた".split()
)
_HONOURED_SUFFIXES = frozenset({"様", "さま", "さん", "殿", "氏"})
_NEGATION = frozenset({"ない", "ぬ", "ず", "ん"})
# A sentence confirming what the listener feels or does (そう感じておられるのですね): the listener
# is the subject, as in a question to them.
_CONFIRMING_ENDINGS = ("のですね", "んですね")


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
          (addressed to the listener: 回復されたのでしょうか) or confirms the listener's
          state with 〜のですね/〜んですね (そう思われるんですね); or the verb is おる
          (おられる has no passive reading).

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
        confirming = "".join(t.text for t in words[-4:]).endswith(_CONFIRMING_ENDINGS)
        # 先生に / 先生様に ... : the honoured person is the passive agent, not the subject
        agent = any(i + 1 < e and doc[i + 1].text == "に" for i in honoured) or any(
            i + 2 < e and doc[i + 1].tag_.startswith("接尾辞") and doc[i + 2].text == "に" for i in honoured
        )
        if agent:
            continue
        cue = bool(honoured) or prefix or question or confirming
        for i in cands:
            if not (cue or doc[i - 1].lemma_ == "おる"):
                continue
            if doc[i - 1].lemma_ in ("せる", "させる"):
                continue
            if any(t.lemma_ in _NEGATION and t.tag_ == "助動詞" for t in doc[i + 1 : min(i + 3, e)]):
                continue
            out.append(i)
    return out


def respectful_passive_spans(doc: Doc) -> list[tuple[int, int]]:
    """``(start, end)`` token spans of the ``"heuristic"`` respectful passives of ``doc``.

    The matcher's procedural rule for ``sonkeigo``; a doc without a れる/られる lemma cannot
    hold one, so it costs one scan of the doc's lemma array for most texts (no Token objects).
    """
    lemmas = doc.to_array(LEMMA)
    if not ((lemmas == _RERU_LEMMA_KEYS[0]).any() or (lemmas == _RERU_LEMMA_KEYS[1]).any()):
        return []
    return [(i, i + 1) for i in respectful_passive_positions(doc)]

