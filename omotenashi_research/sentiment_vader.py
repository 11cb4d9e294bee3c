"""VADER's compound score (vaderSentiment 3.3.2), computed faster: the same numbers.

:func:`_vader` returns an analyzer whose :meth:`compound` (one text) and :meth:`compound_many` (a
batch) give ``float(SentimentIntensityAnalyzer().polarity_scores(text)["compound"])`` bit for bit
(``tests/test_speed_equivalence_sentiment.py``); with another vaderSentiment version it returns the
library's analyzer. Used by :mod:`omotenashi_research.sentiment`, which caches the scores.
"""

from __future__ import annotations

import string
from functools import cache

import numpy as np
import pandas as pd

_PUNCTUATION = string.punctuation  # what VADER strips around a word


@cache
def _vader():
    from importlib.metadata import version

    from vaderSentiment import vaderSentiment as vs

    if version("vaderSentiment") != "3.3.2":  # the fast path below copies 3.3.2's code
        return vs.SentimentIntensityAnalyzer()

    class _Analyzer(vs.SentimentIntensityAnalyzer):
        """VADER 3.3.2, skipping its emoji pass on texts without an emoji, and its per-word valence
        rules for words outside its lexicon (they add 0 either way): the same scores.

        ``polarity_scores`` first rebuilds the text character by character, replacing each emoji
        with its description (a quarter of its time); a text with none of its emoji characters comes
        out unchanged, so for those the rest of the method (copied from vaderSentiment 3.3.2, MIT
        licence) runs on the stripped text directly. ``tests/test_sentiment.py`` pins the equality.
        """

        def polarity_scores(self, text):
            if not self.emojis.keys().isdisjoint(text):
                return super().polarity_scores(text)
            text = text.strip()
            sentitext = vs.SentiText(text)
            sentiments = []
            words_and_emoticons = sentitext.words_and_emoticons
            lexicon, boosters = self.lexicon, vs.BOOSTER_DICT
            for i, item in enumerate(words_and_emoticons):
                valence = 0
                low = item.lower()
                if low in boosters:
                    sentiments.append(valence)
                    continue
                if (i < len(words_and_emoticons) - 1 and low == "kind" and
                        words_and_emoticons[i + 1].lower() == "of"):
                    sentiments.append(valence)
                    continue
                if low not in lexicon:  # sentiment_valence appends the valence unchanged (0)
                    sentiments.append(valence)
                    continue
                sentiments = self.sentiment_valence(valence, sentitext, item, i, sentiments)
            sentiments = self._but_check(words_and_emoticons, sentiments)
            return self.score_valence(sentiments, text)

        def compound(self, text: str) -> float:
            """``float(self.polarity_scores(text)["compound"])``, computed faster (the same number).

            The same steps as :meth:`polarity_scores` above (vaderSentiment 3.3.2's rules, copied), with
            three shortcuts. A text none of whose words (as VADER cuts them) is in the lexicon scores 0
            at once: only lexicon words carry valence, so every word adds 0 and the compound of a sum of
            zeros (or of no words) is 0.0. The words are lower-cased once per text, where VADER's rule
            helpers lower-case the whole text again for each lexicon word (``_negation_check``,
            ``_special_idioms_check``, ``_but_check``). Only the compound is computed (not pos/neu/neg).
            ``tests/test_speed_equivalence_sentiment.py`` pins the equality with the library.
            """
            if not self.emojis.keys().isdisjoint(text):
                return float(super().polarity_scores(text)["compound"])
            text = text.strip()
            items = [w if len(s := w.strip(_PUNCTUATION)) <= 2 else s for w in text.split()]  # SentiText
            lows = [w.lower() for w in items]
            lexicon = self.lexicon
            if lexicon.keys().isdisjoint(lows):
                return 0.0
            boosters = vs.BOOSTER_DICT
            is_cap_diff = vs.allcap_differential(items)
            last = len(items) - 1
            sentiments = []
            for i, low in enumerate(lows):
                if (low in boosters or low not in lexicon
                        or (low == "kind" and i < last and lows[i + 1] == "of")):
                    sentiments.append(0)  # as polarity_scores: valence 0 (an int)
                    continue
                sentiments.append(self._valence(items, lows, i, is_cap_diff))
            if "but" in lows:
                sentiments = self._but_check(items, sentiments)
            # score_valence's compound
            sum_s = float(sum(sentiments))
            punct_emph_amplifier = self._punctuation_emphasis(text)
            if sum_s > 0:
                sum_s += punct_emph_amplifier
            elif sum_s < 0:
                sum_s -= punct_emph_amplifier
            return float(round(vs.normalize(sum_s), 4))

        def compound_many(self, texts: list[str]) -> list[float]:
            """``[self.compound(t) for t in texts]`` (the same numbers), the batch at once.

            The words of all texts (``str.split``, as :meth:`compound` cuts them) are handled as arrays:
            VADER's form, lower case and flags once per distinct word; per text, the count of words in
            capitals (``allcap_differential``), of "!" and "?" (punctuation emphasis) and the
            normalisation, with the same float operations as VADER. Only the valence of each word that
            can carry one (in the lexicon, not a booster, not "kind" before "of") is computed word by
            word (:meth:`_valence`), summed in word order as ``sum()`` does (the int 0 of the other
            words leaves a sum unchanged, or turns -0.0 into 0.0 as the start value 0 does). A text
            without such a word scores 0.0; texts with an emoji or with "but" go through
            :meth:`compound`.
            """
            n = len(texts)
            if not n:
                return []
            lens = np.fromiter(map(len, map(str.split, texts)), dtype=np.int64, count=n)
            codes, uniq = pd.factorize(np.asarray(" ".join(texts).split() + [""], dtype=object)[:-1])
            words = uniq.tolist()
            items_u = [w if len(s := w.strip(_PUNCTUATION)) <= 2 else s for w in words]  # SentiText
            lows_u = [w.lower() for w in items_u]
            lexicon, boosters = self.lexicon, vs.BOOSTER_DICT
            text_of = np.repeat(np.arange(n), lens)

            def flag(values) -> np.ndarray:  # a per-word flag, per word of the batch
                return np.fromiter(values, dtype=bool, count=len(words))[codes]

            scoring = flag(w in lexicon and w not in boosters for w in lows_u)
            kind = flag(w == "kind" for w in lows_u)
            of = flag(w == "of" for w in lows_u)
            scoring[:-1] &= ~(kind[:-1] & of[1:] & (text_of[:-1] == text_of[1:]))  # "kind of"
            n_upper = np.bincount(text_of, weights=flag(w.isupper() for w in items_u), minlength=n)
            cap_diff = ((lens - n_upper) > 0) & ((lens - n_upper) < lens)
            slow = np.bincount(text_of, weights=flag(w == "but" for w in lows_u), minlength=n) > 0
            emojis = self.emojis.keys() & set("".join(texts))  # (VADER tests each character)
            if emojis:
                slow |= np.fromiter((not emojis.isdisjoint(t) for t in texts), dtype=bool, count=n)
            starts = np.cumsum(lens) - lens
            pos = np.flatnonzero(scoring & ~slow[text_of])
            sums = np.zeros(n)
            if len(pos):
                items_flat = np.asarray(items_u + [""], dtype=object)[:-1][codes].tolist()
                lows_flat = np.asarray(lows_u + [""], dtype=object)[:-1][codes].tolist()
                tid = text_of[pos]
                begin, end, cap = starts.tolist(), (starts + lens).tolist(), cap_diff.tolist()
                valence, cur, total = self._valence, -1, 0
                for t, p in zip(tid.tolist(), (pos - starts[tid]).tolist(), strict=True):
                    if t != cur:
                        if cur >= 0:
                            sums[cur] = total
                        cur, total = t, 0  # sum() starts from the int 0
                        items, lows = items_flat[begin[t]:end[t]], lows_flat[begin[t]:end[t]]
                    total += valence(items, lows, p, cap[t])
                sums[cur] = total
            # score_valence's compound: _punctuation_emphasis and normalize, on all texts at once
            qm_count = np.fromiter(map(str.count, texts, ["?"] * n), dtype=np.int64, count=n)
            ep_amplifier = np.minimum(np.fromiter(map(str.count, texts, ["!"] * n), dtype=np.int64, count=n),
                                      4) * 0.292
            qm_amplifier = np.where(qm_count <= 1, 0.0, np.where(qm_count <= 3, qm_count * 0.18, 0.96))
            punct = ep_amplifier + qm_amplifier
            sums = np.where(sums > 0, sums + punct, np.where(sums < 0, sums - punct, sums))
            norm = sums / np.sqrt(sums * sums + 15)
            norm = np.where(norm < -1.0, -1.0, np.where(norm > 1.0, 1.0, norm))
            out = [round(v, 4) for v in norm.tolist()]
            for k in np.flatnonzero(slow).tolist():
                out[k] = self.compound(texts[k])
            return out

        def _valence(self, items: list[str], lows: list[str], i: int, is_cap_diff: bool) -> float:
            """``sentiment_valence`` of lexicon word ``i``, reading the lower-cased words ``lows``."""
            lexicon, boosters = self.lexicon, vs.BOOSTER_DICT
            item, item_lowercase = items[i], lows[i]
            valence = lexicon[item_lowercase]
            if item_lowercase == "no" and i != len(items) - 1 and lows[i + 1] in lexicon:
                valence = 0.0
            if (i > 0 and lows[i - 1] == "no") or (i > 1 and lows[i - 2] == "no") \
                    or (i > 2 and lows[i - 3] == "no" and lows[i - 1] in ["or", "nor"]):
                valence = lexicon[item_lowercase] * vs.N_SCALAR
            if item.isupper() and is_cap_diff:
                if valence > 0:
                    valence += vs.C_INCR
                else:
                    valence -= vs.C_INCR
            # sentiment_valence's loop over the three preceding words (start_i 0, 1, 2), unrolled.
            # scalar_inc_dec is 0.0 for a word that is not a booster (it tests the lower case).
            if i > 0 and (w := lows[i - 1]) not in lexicon:
                s = vs.scalar_inc_dec(items[i - 1], valence, is_cap_diff) if w in boosters else 0.0
                valence = valence + s
                if w in negate or "n't" in w:  # _negation_check with start_i 0
                    valence = valence * vs.N_SCALAR
            if i > 1 and (w := lows[i - 2]) not in lexicon:
                s = vs.scalar_inc_dec(items[i - 2], valence, is_cap_diff) if w in boosters else 0.0
                if s != 0:
                    s = s * 0.95
                valence = valence + s
                valence = _negation_check(valence, lows, 1, i)
            if i > 2 and (w := lows[i - 3]) not in lexicon:
                s = vs.scalar_inc_dec(items[i - 3], valence, is_cap_diff) if w in boosters else 0.0
                if s != 0:
                    s = s * 0.9
                valence = valence + s
                valence = _negation_check(valence, lows, 2, i)
                # An idiom or booster phrase ends at one of words i-2 .. i+2: without a last word
                # of one there, _special_idioms_check finds nothing and returns valence unchanged.
                if not idiom_ends.isdisjoint(lows[i - 2 : i + 3]):
                    valence = _special_idioms_check(valence, lows, i)
            # _least_check
            if i > 1 and lows[i - 1] not in lexicon and lows[i - 1] == "least":
                if lows[i - 2] != "at" and lows[i - 2] != "very":
                    valence = valence * vs.N_SCALAR
            elif i > 0 and lows[i - 1] not in lexicon and lows[i - 1] == "least":
                valence = valence * vs.N_SCALAR
            return valence

    def _negated(word: str) -> bool:
        # vs.negated([word]) of one lower-cased word
        return word in negate or "n't" in word

    def _negation_check(valence: float, lows: list[str], start_i: int, i: int) -> float:
        # vaderSentiment 3.3.2's _negation_check on the lower-cased words
        if start_i == 0:
            if _negated(lows[i - (start_i + 1)]):
                valence = valence * vs.N_SCALAR
        if start_i == 1:
            if lows[i - 2] == "never" and (lows[i - 1] == "so" or lows[i - 1] == "this"):
                valence = valence * 1.25
            elif lows[i - 2] == "without" and lows[i - 1] == "doubt":
                valence = valence
            elif _negated(lows[i - (start_i + 1)]):
                valence = valence * vs.N_SCALAR
        if start_i == 2:
            if lows[i - 3] == "never" and (lows[i - 2] == "so" or lows[i - 2] == "this") or \
                    (lows[i - 1] == "so" or lows[i - 1] == "this"):
                valence = valence * 1.25
            elif lows[i - 3] == "without" and (lows[i - 2] == "doubt" or lows[i - 1] == "doubt"):
                valence = valence
            elif _negated(lows[i - (start_i + 1)]):
                valence = valence * vs.N_SCALAR
        return valence

    def _special_idioms_check(valence: float, lows: list[str], i: int) -> float:
        # vaderSentiment 3.3.2's _special_idioms_check on the lower-cased words
        special, boosters = vs.SPECIAL_CASES, vs.BOOSTER_DICT
        onezero = f"{lows[i - 1]} {lows[i]}"
        twoonezero = f"{lows[i - 2]} {lows[i - 1]} {lows[i]}"
        twoone = f"{lows[i - 2]} {lows[i - 1]}"
        threetwoone = f"{lows[i - 3]} {lows[i - 2]} {lows[i - 1]}"
        threetwo = f"{lows[i - 3]} {lows[i - 2]}"
        for seq in (onezero, twoonezero, twoone, threetwoone, threetwo):
            if seq in special:
                valence = special[seq]
                break
        if len(lows) - 1 > i:
            zeroone = f"{lows[i]} {lows[i + 1]}"
            if zeroone in special:
                valence = special[zeroone]
        if len(lows) - 1 > i + 1:
            zeroonetwo = f"{lows[i]} {lows[i + 1]} {lows[i + 2]}"
            if zeroonetwo in special:
                valence = special[zeroonetwo]
        for n_gram in (threetwoone, threetwo, twoone):
            if n_gram in boosters:
                valence = valence + boosters[n_gram]
        return valence

    negate = frozenset(vs.NEGATE)
    # Last words of the phrases _special_idioms_check looks up (only phrases of 2+ words can match its
    # space-joined n-grams of words, which hold no whitespace themselves).
    idiom_ends = frozenset(k.split(" ")[-1] for k in (*vs.SPECIAL_CASES, *vs.BOOSTER_DICT) if " " in k)
    return _Analyzer()
