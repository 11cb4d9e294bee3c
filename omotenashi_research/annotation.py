"""The construct gold set (issue 9): which agent turns are annotated, their text on demand, the labels.

Everything the repository stores about the gold set is IDs and 0/1 labels (``data/annotation/``); the
text is resolved from the corpus loaders at run time by :func:`annotation_items` and never written into
the repository (several corpus licences are NC/ND).

Design (``docs/codebook.md`` and ``data/annotation/README.md`` say the same in prose):

* **Unit**: one agent utterance of the corpus's utterance table (a KokoroChat counsellor *message*),
  judged with the turns before it.
* **Corpora**: Japanese ASDC, JMultiWOZ, KokoroChat; English USS (MWOZ, SGD, ReDial, CCPE), MAIA-DQE
  (English side), Taskmaster-4. :data:`SAMPLE_SIZES` items per corpus, at most one per dialogue.
* **Half random, half enriched.** Per corpus, dialogues are shuffled with a seeded generator and one
  eligible agent turn (``turn >= 1``) is drawn from each. Half the items are the first of these in
  shuffled order (``stratum = "random"``); the other half is drawn from the remaining pool turns that
  match a *broad cue* of a rare construct (:data:`ENRICH_CUES`: plain regular expressions written for
  sampling, deliberately independent of the package's marker lexicons so that the selection does not
  depend on what the markers currently find), round-robin over the constructs so that each rare
  construct gets items (``stratum = "enriched"``).
* **Test split**: about 35 % of each corpus x stratum cell, drawn over dialogues (no dialogue on both
  sides) with its own seed *before any labels were seen*; markers and models are tuned on
  ``split == "train"`` only and scored once on ``test``.
* **Labels**: two annotators label every item independently (``labels_<annotator>.csv``), blind to
  each other and to the markers' output; disagreements are adjudicated by the codebook
  (``labels_adjudicated.csv``). :func:`annotation_agreement` reports Cohen's kappa per label and
  language.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from omotenashi_research.errors import OmotenashiError

__all__ = [
    "ANNOTATION_DIR",
    "CORPORA",
    "ENRICH_CUES",
    "ROUND2_SIZES",
    "ROUND3_CUES",
    "ROUND3_SIZES",
    "ROUND4_SIZES",
    "ROUND5_CONSTRUCTS",
    "ROUND5_SIZES",
    "LABELS",
    "SAMPLE_SIZES",
    "AnnotationError",
    "adjudicate",
    "annotation_agreement",
    "annotation_items",
    "build_annotation_sample",
    "build_gold_items",
    "gold_labels",
    "labels_for",
    "load_annotation_corpus",
    "read_items",
    "read_labels",
]

REPO = Path(__file__).resolve().parents[1]
ANNOTATION_DIR = REPO / "data" / "annotation"
SEED = 20261128
TEST_SHARE = 0.35

#: Construct labels every item gets, then the language-specific form labels.
CONSTRUCTS: tuple[str, ...] = (
    "gratitude", "apology", "empathy", "anticipation", "ownership", "deflection", "personalization",
)
FORM_LABELS: dict[str, tuple[str, ...]] = {
    "en": ("deference",),
    "ja": ("sonkeigo", "kenjougo", "teineigo"),
}
LABELS: tuple[str, ...] = (*CONSTRUCTS, "deference", "sonkeigo", "kenjougo", "teineigo")

#: corpus -> language
CORPORA: dict[str, str] = {
    "asdc": "ja", "jmultiwoz": "ja", "kokorochat": "ja",
    "uss-mwoz": "en", "uss-sgd": "en", "uss-redial": "en", "uss-ccpe": "en",
    "maia-dqe": "en", "taskmaster-4": "en",
}
#: items per corpus (750 per language)
SAMPLE_SIZES: dict[str, int] = {
    "asdc": 250, "jmultiwoz": 250, "kokorochat": 250,
    "uss-mwoz": 100, "uss-sgd": 100, "uss-redial": 100, "uss-ccpe": 100,
    "maia-dqe": 175, "taskmaster-4": 175,
}  # MAIA-DQE has 133 dialogues: two items from some of them
#: round 2: enriched only, on the rare constructs (README of data/annotation says why)
ROUND2_SIZES: dict[str, int] = {
    "asdc": 100, "jmultiwoz": 150, "kokorochat": 150,
    "uss-mwoz": 100, "uss-sgd": 60, "uss-redial": 100, "uss-ccpe": 100,
    "maia-dqe": 150, "taskmaster-4": 90,
}
ROUND2_CONSTRUCTS: tuple[str, ...] = ("empathy", "anticipation", "personalization", "deflection")
#: round 3: enriched only, with broader cues for the constructs still measured worst after round 2
#: (empathy, anticipation, personalization in both languages; deflection in English)
ROUND3_SIZES: dict[str, int] = {
    "asdc": 70, "jmultiwoz": 150, "kokorochat": 130,
    "uss-mwoz": 110, "uss-sgd": 50, "uss-redial": 110, "uss-ccpe": 90,
    "maia-dqe": 90, "taskmaster-4": 100,
}
#: round 4: half random, half enriched (round-3 cues), drawn after the rules and models had been
#: revised on rounds 1-3: its train items choose between rule and model, its test items are a test
#: split no measure had been scored on (data/annotation/README.md)
ROUND4_SIZES: dict[str, int] = {
    "asdc": 100, "jmultiwoz": 100, "kokorochat": 150,
    "uss-mwoz": 80, "uss-sgd": 60, "uss-redial": 80, "uss-ccpe": 60,
    "maia-dqe": 120, "taskmaster-4": 80,
}
#: round 5: half random, half enriched with the round-3 cues of the constructs still measured worst
#: after round 4 (empathy, anticipation, personalization; deflection in English); its train items join
#: round 4's in choosing between rule and model, its test items are reported apart
ROUND5_SIZES: dict[str, int] = {
    "asdc": 90, "jmultiwoz": 110, "kokorochat": 160,
    "uss-mwoz": 100, "uss-sgd": 50, "uss-redial": 100, "uss-ccpe": 70,
    "maia-dqe": 120, "taskmaster-4": 100,
}
ROUND5_CONSTRUCTS: tuple[str, ...] = ("personalization", "anticipation", "empathy", "deflection")
ITEM_COLUMNS = ["corpus", "dialogue_id", "turn", "lang", "stratum", "split"]

#: Broad sampling cues per rare construct (recall-oriented, for enrichment only; not markers).
ENRICH_CUES: dict[str, dict[str, str]] = {
    "ja": {
        "empathy": r"大変|心配|不安|お気持ち|おめでと|素敵|残念|辛|つら|嬉し|うれし|楽しみ|"
                   r"良かった|よかった|お疲れ|お察し",
        "personalization": r"とのこと|おっしゃ|お子様|ご家族|ご夫婦|お連れ|先ほど|お好き|ご友人|記念|誕生",
        "anticipation": r"なお|ちなみに|ついでに|あわせて|併せて|送迎|駐車|おすすめ|お勧め|"
                        r"よろしければ|ご注意|お早め",
        "deflection": r"直接|お問い合わせ|問い合わせ|かねます|分かりません|わかりません|不明|"
                      r"対応して(?:お|い)りません",
        "ownership": r"いたします|致します|お調べ|お探し|お取り|手配|確認し|承りました|しておきます",
    },
    "en": {
        "empathy": r"(?i)sorry to hear|understand|hope you|congrat|sounds (?:like|great|fun|good)|glad|"
                   r"frustrat|worr|must be|that's great|enjoy",
        "personalization": r"(?i)you (?:mentioned|said|told)|"
                           r"your (?:family|wife|husband|kids|children|son|daughter|"
                           r"trip|birthday|anniversary|friend)|since you|as you|\b(?:Mr|Ms|Mrs)\.? [A-Z]",
        "anticipation": r"(?i)\balso\b|by the way|in addition|parking|taxi|you might|don't forget|"
                        r"note that|make sure|would you like me to|recommend",
        "deflection": r"(?i)contact|directly|can't|cannot|unable|not able|check with|reach out|call the",
        "ownership": r"(?i)\bI(?:'ll| will| have|'ve| can)\b|let me|I booked|I reserved|I've (?:booked|made)",
    },
}


#: Round-3 cues: broader than :data:`ENRICH_CUES` (written from the codebook's examples and the
#: round-1/2 misses by kind, not from the markers' lexicons); recall-oriented, for sampling only.
ROUND3_CUES: dict[str, dict[str, str]] = {
    "ja": {
        "empathy": r"大変|心配|不安|お気持ち|おめでと|素敵|残念|辛|つら|嬉し|うれし|楽しみ|良かった|よかった|"
                   r"お疲れ|お察し|かと思います|ですよね|頑張|がんば|無理|しんど|悲し|寂し|さみし|苦し|"
                   r"安心|お大事|素晴らし",
        "personalization": r"とのこと|おっしゃ|お子様|お子さん|ご家族|ご夫婦|お連れ|先ほど|お好き|"
                           r"ご友人|記念|誕生|ご主人|旦那|奥様|お母様|お父様|ご自身|お仕事|ご希望の|ご予算",
        "anticipation": r"なお|ちなみに|ついでに|あわせて|併せて|送迎|駐車|おすすめ|お勧め|よろしければ|"
                        r"ご注意|お早め|念のため|ご参考|お困り|お気軽|無料|サービス|朝食|温泉|混雑|予約が必要",
    },
    "en": {
        "empathy": r"(?i)sorry to hear|sorry about|understand|hope you|congrat|"
                   r"sounds (?:like|great|fun|good|lovely|delicious|nice)|glad|frustrat|worr|must be|"
                   r"great choice|good choice|enjoy|exciting|awesome|wonderful|feel better|happy to hear",
        "personalization": r"(?i)you (?:mentioned|said|told|like|liked|enjoy|enjoyed|prefer|love)|"
                           r"your (?:family|wife|husband|kids|children|son|daughter|trip|birthday|"
                           r"anniversary|friend|friends|partner|budget|taste|favorite|favourite)|since you|"
                           r"as you|for your|based on (?:your|what you)|\b(?:Mr|Ms|Mrs)\.? [A-Z]",
        "anticipation": r"(?i)\balso\b|by the way|in addition|parking|taxi|shuttle|wifi|wi-fi|breakfast|"
                        r"you might|you may want|don't forget|note that|make sure|recommend|in case|"
                        r"if you need|bring|weather|reference number|free of charge|complimentary",
        "deflection": r"(?i)contact|directly|can't|cannot|unable|not able|check with|reach out|call the|"
                      r"not (?:sure|possible)|don't know|no information|policy",
    },
}


class AnnotationError(OmotenashiError, ValueError):
    """An annotation file is malformed, or an item is not an agent turn of its corpus."""


# --------------------------------------------------------------------------------------------------
# corpora


def load_annotation_corpus(corpus: str) -> pd.DataFrame:
    """Utterance table of one gold-set corpus (MAIA-DQE with its English side as ``text``)."""
    from omotenashi_research import datasets

    with warnings.catch_warnings():
        # documented, expected loader warnings (empty turns dropped, listed in df.attrs)
        warnings.simplefilter("ignore", UserWarning)
        if corpus == "asdc":
            return datasets.load_asdc()
        if corpus == "jmultiwoz":
            return datasets.load_jmultiwoz()
        if corpus == "kokorochat":
            # the selection ran over the zip's member order (paths in byte order: 10, 100, 1000, ...),
            # which SOURCE.md's recipe fixes; the loader itself orders dialogues by number
            utt = datasets.load_kokorochat(progress=False)
            key = utt["dialogue_id"].astype(str)
            return utt.assign(_k=key).sort_values(["_k", "turn"], kind="stable").drop(columns="_k")
        if corpus.startswith("uss-"):
            subset = {"uss-mwoz": "MWOZ", "uss-sgd": "SGD", "uss-redial": "ReDial",
                      "uss-ccpe": "CCPE"}[corpus]
            return datasets.load_uss([subset])
        if corpus == "maia-dqe":
            return datasets.load_maia(text="english")
        if corpus == "taskmaster-4":
            return datasets.load_taskmaster()
    raise AnnotationError(f"unknown gold-set corpus {corpus!r}; expected one of {list(CORPORA)}")


# --------------------------------------------------------------------------------------------------
# selection


def _cue_hits(texts: pd.Series, lang: str, cues: Mapping[str, Mapping[str, str]] | None = None
              ) -> dict[str, np.ndarray]:
    table = (cues if cues is not None else ENRICH_CUES)[lang]
    return {c: texts.str.contains(rx, regex=True).to_numpy() for c, rx in table.items()}


def build_annotation_sample(
    sizes: Mapping[str, int] | None = None,
    *,
    seed: int = SEED,
    test_share: float = TEST_SHARE,
    corpora: Mapping[str, pd.DataFrame] | None = None,
    exclude: pd.DataFrame | None = None,
    random_share: float = 0.5,
    enriched_name: str = "enriched",
    random_name: str = "random",
    constructs: Sequence[str] | None = None,
    cues: Mapping[str, Mapping[str, str]] | None = None,
) -> pd.DataFrame:
    """Select the gold-set items (IDs only) with their stratum and fixed train/test split.

    Parameters
    ----------
    sizes : mapping, optional
        Items per corpus (default :data:`SAMPLE_SIZES`).
    seed : int
        Base seed; corpus number ``i`` uses ``numpy.random.default_rng([seed, i])``.
    test_share : float
        Share of each corpus x stratum cell put into the test split.
    corpora : mapping, optional
        ``{corpus: utterance table}`` instead of the loaders (tests); its language is taken from
        :data:`CORPORA` or the table's ``lang`` column.
    exclude : DataFrame, optional
        Items of an earlier round: their turns are not drawn again, and a dialogue that already has
        items keeps its split (no dialogue on both sides of the split across rounds).
    random_share : float
        Share of the items drawn at random (the rest is enriched).
    enriched_name : str
        ``stratum`` value of the enriched items (e.g. ``"enriched_r2"`` for a second round).
    random_name : str
        ``stratum`` value of the random items (``"random_r4"`` for round 4).
    constructs : sequence of str, optional
        Constructs whose cues enrich (default: all of the cue table).
    cues : mapping, optional
        ``{lang: {construct: regex}}`` enrichment cues (default :data:`ENRICH_CUES`; round 3 uses
        :data:`ROUND3_CUES`).

    Returns
    -------
    pandas.DataFrame
        ``corpus, dialogue_id, turn, lang, stratum, split``.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"corpus": "demo", "dialogue_id": [f"d{i // 4}" for i in range(80)],
    ...                    "turn": [i % 4 for i in range(80)], "role": ["customer", "agent"] * 40,
    ...                    "text": ["I will check", "hello"] * 40, "lang": "en"})
    >>> items = build_annotation_sample({"demo": 10}, corpora={"demo": df})
    >>> len(items), items["dialogue_id"].is_unique, sorted(items["stratum"].unique())
    (10, True, ['enriched', 'random'])
    """
    sizes = dict(sizes) if sizes is not None else dict(SAMPLE_SIZES)
    out = []
    for no, (corpus, n) in enumerate(sizes.items()):
        utt = corpora[corpus] if corpora is not None else load_annotation_corpus(corpus)
        lang = CORPORA.get(corpus) or str(utt["lang"].iloc[0])
        rng = np.random.default_rng([seed, no])
        elig = utt[(utt["role"] == "agent") & (utt["turn"] >= 1) & (utt["lang"] == lang)]
        prior_split: dict[str, str] = {}
        if exclude is not None and len(exclude):
            ex = exclude[exclude["corpus"] == corpus]
            taken_keys = set(zip(ex["dialogue_id"].astype(str), ex["turn"].astype(int), strict=True))
            key = list(zip(elig["dialogue_id"].astype(str), elig["turn"].astype(int), strict=True))
            elig = elig[[k not in taken_keys for k in key]]
            prior_split = dict(zip(ex["dialogue_id"].astype(str), ex["split"], strict=False))
        dialogues = np.sort(elig["dialogue_id"].astype(str).unique())
        dialogues = dialogues[rng.permutation(len(dialogues))]
        # k random eligible agent turns per dialogue (k = 1 unless the corpus has fewer dialogues than
        # items, as MAIA-DQE's 133): the rows with the smallest random keys
        k = max(1, int(np.ceil(n / max(len(dialogues), 1))))
        keyed = elig.assign(_key=rng.random(len(elig)), dialogue_id=elig["dialogue_id"].astype(str))
        keyed = keyed.sort_values("_key")
        keyed = keyed[keyed.groupby("dialogue_id").cumcount() < k]
        rank = pd.Series(np.arange(len(dialogues)), index=dialogues)
        keyed = keyed.assign(_rank=keyed["dialogue_id"].map(rank),
                             _nth=keyed.groupby("dialogue_id").cumcount())
        # dialogue order first, so the first n//2 rows cover as many dialogues as possible
        pool = keyed.sort_values(["_nth", "_rank"]).reset_index(drop=True)
        n_rand = int(n * random_share)  # floor: 87 random + 88 enriched of 175
        random_part = pool.iloc[:n_rand]
        rest = pool.iloc[n_rand:].reset_index(drop=True)
        hits = _cue_hits(rest["text"].astype(str), lang, cues)
        if constructs is not None:
            hits = {c: h for c, h in hits.items() if c in constructs}
        taken: list[int] = []
        queues = {c: list(np.flatnonzero(h)) for c, h in hits.items()}
        while len(taken) < n - n_rand and any(queues.values()):
            for c in queues:  # round-robin over constructs, in the order of ENRICH_CUES
                while queues[c] and queues[c][0] in taken:
                    queues[c].pop(0)
                if queues[c] and len(taken) < n - n_rand:
                    taken.append(queues[c].pop(0))
        if len(taken) < n - n_rand:  # too few cue matches: fill from the rest in shuffled order
            taken += [i for i in range(len(rest)) if i not in set(taken)][: n - n_rand - len(taken)]
        enriched = rest.iloc[taken]
        part = pd.concat([random_part.assign(stratum=random_name), enriched.assign(stratum=enriched_name)])
        part = part.assign(corpus=corpus, lang=lang, dialogue_id=part["dialogue_id"].astype(str))
        # the split is drawn over dialogues, so no dialogue has items on both sides
        split_rng = np.random.default_rng([seed, no, 1])
        prior_test = {d for d, sp_ in prior_split.items() if sp_ == "test"}
        test_dialogues = set(prior_test)
        for stratum in (random_name, enriched_name):
            dl = np.sort(part.loc[part["stratum"] == stratum, "dialogue_id"].unique())
            dl = [d for d in dl if d not in test_dialogues and d not in prior_split]
            # items that an earlier round's test dialogues already put into test count towards the share
            in_test = part.loc[part["stratum"] == stratum, "dialogue_id"].isin(prior_test).sum()
            n_test = max(0, int(round((test_share * (part["stratum"] == stratum).sum() - in_test) / k)))
            test_dialogues.update(np.asarray(dl)[split_rng.permutation(len(dl))[:n_test]].tolist())
        split = np.where(part["dialogue_id"].isin(test_dialogues), "test", "train")
        out.append(part.assign(split=split, _order=no)[[*ITEM_COLUMNS, "_order"]])
    res = pd.concat(out).sort_values(["_order", "dialogue_id", "turn"]).drop(columns="_order")
    return res.reset_index(drop=True).astype({"turn": "int64"})


def build_gold_items(corpora: Mapping[str, pd.DataFrame] | None = None) -> pd.DataFrame:
    """Regenerate ``data/annotation/items.csv`` exactly: rounds 1 to 5 (each excluding earlier ones).

    A dialogue keeps the split an earlier round gave it, so the test split only grows by new dialogues
    (drawn over dialogues, about :data:`TEST_SHARE` of each new round).
    """
    if corpora is None:
        # every round draws from the same corpora: load each once, not once per round
        names = dict.fromkeys([*SAMPLE_SIZES, *ROUND2_SIZES, *ROUND3_SIZES, *ROUND4_SIZES, *ROUND5_SIZES])
        corpora = {name: load_annotation_corpus(name) for name in names}
    r1 = build_annotation_sample(corpora=corpora)
    r2 = build_annotation_sample(ROUND2_SIZES, seed=SEED + 1, corpora=corpora, exclude=r1, random_share=0.0,
                                 enriched_name="enriched_r2", constructs=ROUND2_CONSTRUCTS)
    r12 = pd.concat([r1, r2], ignore_index=True)
    r3 = build_annotation_sample(ROUND3_SIZES, seed=SEED + 2, corpora=corpora, exclude=r12, random_share=0.0,
                                 enriched_name="enriched_r3", cues=ROUND3_CUES)
    r123 = pd.concat([r12, r3], ignore_index=True)
    r4 = build_annotation_sample(ROUND4_SIZES, seed=SEED + 3, corpora=corpora, exclude=r123, random_share=0.5,
                                 enriched_name="enriched_r4", random_name="random_r4", cues=ROUND3_CUES)
    r1234 = pd.concat([r123, r4], ignore_index=True)
    r5 = build_annotation_sample(ROUND5_SIZES, seed=SEED + 4, corpora=corpora, exclude=r1234,
                                 random_share=0.5, enriched_name="enriched_r5", random_name="random_r5",
                                 cues=ROUND3_CUES, constructs=ROUND5_CONSTRUCTS)
    return pd.concat([r1234, r5], ignore_index=True)


# --------------------------------------------------------------------------------------------------
# files


def read_items(path: str | Path | None = None) -> pd.DataFrame:
    """The frozen item list ``data/annotation/items.csv`` (IDs, stratum, split; never text)."""
    path = Path(path) if path is not None else ANNOTATION_DIR / "items.csv"
    if not path.exists():
        raise AnnotationError(f"{path.resolve()}: gold-set items file not found")
    items = pd.read_csv(path, dtype={"corpus": str, "dialogue_id": str, "lang": str})
    if list(items.columns) != ITEM_COLUMNS:
        raise AnnotationError(f"{path.resolve()}: columns must be exactly {ITEM_COLUMNS} (IDs only, never "
                              f"text), got {list(items.columns)}")
    bad = ~items["split"].isin(["train", "test"])
    if bad.any():
        raise AnnotationError(f"{path.resolve()}: line {int(np.flatnonzero(bad)[0]) + 2}: split must be "
                              f"'train' or 'test'")
    dup = items.duplicated(["corpus", "dialogue_id", "turn"])
    if dup.any():
        raise AnnotationError(f"{path.resolve()}: line {int(np.flatnonzero(dup)[0]) + 2}: duplicate item")
    return items.astype({"turn": "int64"})


def labels_for(lang: str) -> tuple[str, ...]:
    """Label columns that apply to items of ``lang``."""
    return (*CONSTRUCTS, *FORM_LABELS[lang])


def read_labels(path: str | Path, items: pd.DataFrame | None = None) -> pd.DataFrame:
    """One annotator's (or the adjudicated) label file, validated against the items.

    Columns: ``corpus, dialogue_id, turn`` + the labels. Labels that do not apply to the item's
    language (``deference`` for Japanese, keigo for English) are blank; all others must be 0 or 1.

    Raises
    ------
    AnnotationError
        Naming the file, 1-based line and problem.
    """
    path = Path(path)
    if not path.exists():
        raise AnnotationError(f"{path.resolve()}: label file not found")
    df = pd.read_csv(path, dtype={"corpus": str, "dialogue_id": str})
    missing = [c for c in ["corpus", "dialogue_id", "turn", *LABELS] if c not in df.columns]
    if missing:
        raise AnnotationError(f"{path.resolve()}: required column(s) missing: {missing}")
    if "text" in df.columns:
        raise AnnotationError(f"{path.resolve()}: label files hold IDs and labels only, never text")
    df["turn"] = pd.to_numeric(df["turn"], errors="coerce")
    if df["turn"].isna().any():
        raise AnnotationError(f"{path.resolve()}: line {int(np.flatnonzero(df['turn'].isna())[0]) + 2}: "
                              f"turn must be an integer")
    df["turn"] = df["turn"].astype("int64")
    lang = df["corpus"].map(CORPORA)
    if lang.isna().any():
        r = int(np.flatnonzero(lang.isna())[0])
        raise AnnotationError(f"{path.resolve()}: line {r + 2}: unknown corpus {df['corpus'].iloc[r]!r}")
    for col in LABELS:
        applies = lang.map(lambda g, c=col: c in labels_for(g)).to_numpy(bool)
        vals = pd.to_numeric(df[col], errors="coerce")
        ok = np.where(applies, vals.isin([0, 1]), vals.isna())
        if not ok.all():
            r = int(np.flatnonzero(~ok)[0])
            want = "0 or 1" if applies[r] else "blank (label does not apply to this language)"
            raise AnnotationError(f"{path.resolve()}: line {r + 2}: column {col!r} must be {want}, "
                                  f"got {df[col].iloc[r]!r}")
        df[col] = vals.astype("Int64")
    dup = df.duplicated(["corpus", "dialogue_id", "turn"])
    if dup.any():
        line = int(np.flatnonzero(dup)[0]) + 2
        raise AnnotationError(f"{path.resolve()}: line {line}: item labelled twice")
    if items is not None:
        keys = ["corpus", "dialogue_id", "turn"]
        merged = items[keys].merge(df[keys], how="outer", indicator=True)
        if (merged["_merge"] != "both").any():
            odd = merged[merged["_merge"] != "both"].head(3)
            raise AnnotationError(f"{path.resolve()}: items and labels differ, e.g. "
                                  f"{odd.drop(columns='_merge').to_dict('records')}")
    return df[["corpus", "dialogue_id", "turn", *LABELS]]


def gold_labels(directory: str | Path | None = None, *, split: str | None = None) -> pd.DataFrame:
    """Items joined with the adjudicated labels (``labels_adjudicated.csv``), optionally one split."""
    directory = Path(directory) if directory is not None else ANNOTATION_DIR
    items = read_items(directory / "items.csv")
    gold = read_labels(directory / "labels_adjudicated.csv", items)
    out = items.merge(gold, on=["corpus", "dialogue_id", "turn"], how="left", validate="one_to_one")
    return out if split is None else out[out["split"] == split].reset_index(drop=True)


# --------------------------------------------------------------------------------------------------
# text on demand


def annotation_items(
    items: pd.DataFrame | None = None,
    *,
    n_context: int = 3,
    corpora: Mapping[str, pd.DataFrame] | None = None,
    loader: Callable[[str], pd.DataFrame] = load_annotation_corpus,
) -> pd.DataFrame:
    """Resolve item IDs to the agent text and the ``n_context`` turns before it.

    **Never write the result into the repository** (licences). ``prev_1`` is the nearest earlier turn,
    formatted ``"<role>: <text>"``; the empty string before the dialogue start.

    Raises
    ------
    AnnotationError
        When an item is missing from its corpus or is not an agent turn.
    """
    items = read_items() if items is None else items
    frames = []
    for corpus, g in items.groupby("corpus", sort=False):
        utt = corpora[corpus] if corpora is not None and corpus in corpora else loader(str(corpus))
        utt = utt.assign(dialogue_id=utt["dialogue_id"].astype(str)).sort_values(["dialogue_id", "turn"])
        utt = utt[["dialogue_id", "turn", "role", "text"]].copy()
        grp = utt.groupby("dialogue_id", sort=False)
        utt["_line"] = utt["role"].astype(str) + ": " + utt["text"].astype(str)
        cols = ["dialogue_id", "turn", "role", "text"]
        for i in range(1, n_context + 1):
            utt[f"prev_{i}"] = grp["_line"].shift(i).fillna("")
            cols.append(f"prev_{i}")
        merged = g.merge(utt[cols], on=["dialogue_id", "turn"], how="left", validate="one_to_one")
        bad = merged["text"].isna() | (merged["role"] != "agent")
        if bad.any():
            ids = merged.loc[bad, ["dialogue_id", "turn"]].head(5).to_dict("records")
            raise AnnotationError(f"gold set: {int(bad.sum())} item(s) of {corpus!r} missing from the corpus "
                                  f"or not agent turns, e.g. {ids}")
        frames.append(merged)
    order = items[["corpus", "dialogue_id", "turn"]]
    return order.merge(pd.concat(frames, ignore_index=True), on=["corpus", "dialogue_id", "turn"], how="left")


# --------------------------------------------------------------------------------------------------
# agreement and adjudication


def annotation_agreement(a: pd.DataFrame, b: pd.DataFrame, items: pd.DataFrame) -> pd.DataFrame:
    """Cohen's kappa between two annotators per label and language (tidy table).

    Columns: ``lang, label, n, positives_a, positives_b, agreement, kappa``.
    """
    from omotenashi_research.validation import cohen_kappa

    keys = ["corpus", "dialogue_id", "turn"]
    m = items[[*keys, "lang"]].merge(a, on=keys).merge(b, on=keys, suffixes=("_a", "_b"))
    rows = []
    for lang, g in m.groupby("lang", sort=True):
        for label in labels_for(str(lang)):
            x, y = g[f"{label}_a"].astype(int).to_numpy(), g[f"{label}_b"].astype(int).to_numpy()
            k = cohen_kappa(x, y)
            rows.append({"lang": lang, "label": label, "n": len(g), "positives_a": int(x.sum()),
                         "positives_b": int(y.sum()), "agreement": float((x == y).mean()),
                         "kappa": k["kappa"]})
    return pd.DataFrame(rows)


def adjudicate(a: pd.DataFrame, b: pd.DataFrame, decisions: pd.DataFrame | None = None) -> pd.DataFrame:
    """Merge two annotators: agreed labels stand; each disagreement takes the adjudicator's decision.

    ``decisions`` has ``corpus, dialogue_id, turn, label, value`` for every disagreement; a missing
    decision raises (no disagreement is resolved silently).
    """
    keys = ["corpus", "dialogue_id", "turn"]
    m = a.merge(b, on=keys, suffixes=("_a", "_b"), validate="one_to_one")
    out = m[keys].copy()
    dec = {} if decisions is None else {
        (r.corpus, str(r.dialogue_id), int(r.turn), r.label): int(r.value) for r in decisions.itertuples()
    }
    open_items = []
    for label in LABELS:
        x, y = m[f"{label}_a"], m[f"{label}_b"]
        col = x.copy()
        both_na = (x.isna() & y.isna()).to_numpy(bool)  # a label that does not apply to the language
        diff = ((x != y).fillna(True).to_numpy(bool) | (x.isna() ^ y.isna()).to_numpy(bool)) & ~both_na
        for i in np.flatnonzero(diff):
            key = (m["corpus"].iloc[i], str(m["dialogue_id"].iloc[i]), int(m["turn"].iloc[i]), label)
            if key not in dec:
                open_items.append(key)
            else:
                col.iloc[i] = dec[key]
        out[label] = col
    if open_items:
        raise AnnotationError(f"{len(open_items)} disagreement(s) without an adjudication decision, "
                              f"e.g. {open_items[:3]}")
    return out

