"""Validation of the marker layer against labelled corpora and a hand-labelled check set (issue 3).

Every function returns a tidy :class:`pandas.DataFrame`; :func:`write_report` turns them into
``docs/validation.md``. Regenerate the report with::

    python -m omotenashi_research.validation --out docs/validation.md

(``make validation`` runs exactly this). All resampling is seeded, so the report is deterministic
for a given version of the lexicons and corpora.

Sections
--------
- :func:`validate_keigo`: KeiCO's respectful/humble/polite flags vs. our sonkeigo/kenjougo/teineigo.
- :func:`validate_maia`: MAIA-DQE empathy, templated and politeness labels vs. our markers.
- :func:`validate_stanford`: cross-validated logistic regression on our English politeness features.
- :func:`checkset_agreement`: inter-annotator agreement on the hand-labelled check set and the accuracy
  of our context markers (anticipation, ownership, deflection, personalization) against it.

The check set (``data/checkset/items.csv``) holds IDs only; :func:`checkset_items` joins them with
the corpus text at run time (never write that text into the repository).

Layout: the metric helpers live in :mod:`~omotenashi_research.validation_metrics`, the KeiCO, MAIA-DQE
and Stanford validators in :mod:`~omotenashi_research.validation_corpora`, the check set in
:mod:`~omotenashi_research.validation_checkset`; this module holds the report (sections, rendering,
:func:`run_all`, :func:`write_report`, the command line) and re-exports every name of those modules.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from omotenashi_research.errors import CorpusNotFoundError

# The sections live in topic modules; re-exported here so that ``validation.<name>`` keeps working
# (private names included: tests and the report use them).
from omotenashi_research.validation_checkset import (  # noqa: F401
    CHECKSET_CORPORA,
    CHECKSET_DIR,
    CHECKSET_LABELS,
    CHECKSET_SEED,
    ENRICH_MARKERS,
    ITEM_COLUMNS,
    ITEMS_FILE,
    LABEL_COLUMNS,
    REPO,
    ChecksetError,
    _enrich_flags,
    _load_corpus,
    _predicted_context_markers,
    _read_items,
    build_checkset,
    checkset_agreement,
    checkset_items,
    read_checkset_labels,
)
from omotenashi_research.validation_corpora import (  # noqa: F401
    _KEIGO_PAIRS,
    CONVOKIT_ACCURACY,
    PAPER_WIKI_IN_DOMAIN,
    POLITE_MARKERS,
    _feature_matrix,
    _maia_sentences,
    validate_keigo,
    validate_maia,
    validate_stanford,
)
from omotenashi_research.validation_metrics import (  # noqa: F401
    SEED,
    _predict,
    auc,
    binary_metrics,
    cohen_kappa,
    cv_logit_accuracy,
    prf,
    ridge_logit,
    stratified_folds,
    wilson_ci,
)

__all__ = [
    "CHECKSET_CORPORA",
    "CHECKSET_LABELS",
    "ChecksetError",
    "auc",
    "binary_metrics",
    "build_checkset",
    "checkset_agreement",
    "checkset_items",
    "cohen_kappa",
    "cv_logit_accuracy",
    "gold_test_table",
    "prf",
    "read_checkset_labels",
    "render_report",
    "ridge_logit",
    "run_all",
    "stratified_folds",
    "validate_keigo",
    "validate_maia",
    "validate_stanford",
    "wilson_ci",
    "write_gold_test_csv",
    "write_report",
]

REPORT_COMMAND = "python -m omotenashi_research.validation --out docs/validation.md"


# --------------------------------------------------------------------------------------------------
# report

SECTIONS = (
    ("keigo", "Keigo vs. KeiCO"),
    ("keigo_levels", "Keigo detection rate by KeiCO level"),
    ("maia", "MAIA-DQE: empathy, templated and politeness labels"),
    ("stanford", "Stanford politeness: logistic regression on our features"),
    ("checkset_status", "Check set: status"),
    ("checkset_kappa", "Check set: inter-annotator agreement (Cohen's kappa)"),
    ("checkset_markers", "Check set: our context markers vs. the consensus"),
    ("gold_kappa", "Gold set: inter-annotator agreement (Cohen's kappa per label and language)"),
    ("gold_test", "Gold set, test split: the shipped measure per construct, pooled and per corpus"),
    ("gold_test_rule", "Gold set, test split: the rule alone (marker or context column)"),
    ("gold_test_r4", "Gold set, round-4 test items only"),
    ("gold_test_r5", "Gold set, round-5 test items only: the least optimistic estimate"),
)
# ... followed by validation_external.EXTERNAL_SECTIONS (parallel text, criterion validity): see _sections()


def _sections() -> tuple[tuple[str, str], ...]:
    # imported here: validation_external imports this module's metrics
    from omotenashi_research.validation_external import EXTERNAL_SECTIONS

    return (*SECTIONS, *EXTERNAL_SECTIONS)

_INTRO = {
    "parallel": "Japanese marker on the Japanese sentence vs the English marker on its English translation, "
                "per "
                "construct. BSD: 4,171 business-conversation sentence pairs; CoCoA-MT: 1,594 English source "
                "sentences vs their formal Japanese reference. Kappa with a 95 % CI from a seeded bootstrap "
                "that resamples whole BSD scenarios (CoCoA-MT segments); `ja_only` and `en_only` count each "
                "direction of disagreement (IDs via `validation_external.parallel_disagreements`). Which "
                "side is "
                "wrong, from reading the disagreements: see *Where each marker is weak*. Politeness form "
                "compares sonkeigo/kenjougo with English deference: English has no honorific morphology, so "
                "low agreement is expected there and is not a marker error. BSD is business talk, not "
                "service.",
    "kokorochat": "Per dialogue, the share of counsellor messages with an empathy (apology, gratitude) "
                  "marker vs "
                  "the client's 0-5 受容・共感 rating. Spearman rho with a 95 % CI from a seeded bootstrap "
                  "that "
                  "resamples counsellors (424) with all their dialogues. Counselling role-play, not service; "
                  "aggregates only (CC BY-NC-ND).",
    "politeness_features": "The same rating protocol (0-4) in Japanese and English (Havaldar et al. 2023). "
                           "Spearman per feature and language.",
    "politeness_model": "Ridge regression on log1p counts of all markers of the language, seeded 10-fold CV, "
                        "out-of-fold R² and Spearman (bootstrap CI).",
    "cocoa_sentence": "Positive = the formal (teineigo) reference, negative = the informal one, per CoCoA-MT "
                      "segment.",
    "cocoa_span": "Share of the `[F]` formality spans that overlap one of our teineigo (any keigo) spans; in "
                  "the "
                  "informal reference the `[F]` spans mark plain forms, so coverage there is a false alarm.",
    "pastel": "Share of PASTEL-JP minimal pairs where the polite/formal sentence has a higher keigo count "
              "(sonkeigo + kenjougo + teineigo + bika) than its partner; failures by "
              "`validation_external.pastel_failures()` (IDs only). Formality carried by vocabulary "
              "(非常に/とても) "
              "rather than keigo is not expected to be caught.",
    "gold_kappa": "5,130 agent turns in five rounds (`data/annotation/`: 2,210 Japanese from ASDC, "
                  "JMultiWOZ, KokoroChat; 2,920 English from USS MWOZ/SGD/ReDial/CCPE, MAIA-DQE, "
                  "Taskmaster-4), each labelled by two annotators blind to each other and to the markers, by "
                  "`docs/codebook.md`; every disagreement adjudicated (`adjudication.csv`). **The annotators "
                  "are two instances of the same AI model, not trained human coders** "
                  "(`data/annotation/README.md`): read kappa as consistency of application, an upper bound "
                  "on human agreement.",
    "gold_test": "The held-out `test` split of all five rounds (about a third of each round's items, drawn "
                 "over dialogues before any label was seen). Nothing is fitted or chosen on it, but the "
                 "rounds-1-4 part was scored after earlier revisions of the measures and the developers "
                 "saw those totals, so it is not untouched; the last table, round 5 alone, was scored "
                 "once before this version. "
                 "`shipped` = "
                 "`constructs.construct_flags`: the supervised tier trained on `train`, or the rule where "
                 "the rule scored at least as well on the round-4 and round-5 `train` items, which were "
                 "labelled after the last revision of the rules (`gold.SELECTION_STRATA`). P and R with "
                 "Wilson 95 % CIs, F1 with a seeded bootstrap CI. Half of rounds 1, 4 and 5 and all of "
                 "rounds 2 and 3 are "
                 "enriched for rare constructs, so precision here is higher than at corpus prevalence for "
                 "rare labels. Per-corpus rows have few positives: read their CIs.",
    "gold_test_r4": "Round-4 test items only (half random agent turns, half enriched; drawn, split and "
                    "labelled after the rules had last been revised on rounds 1-3). Their totals were "
                    "seen in the two reports before this one; the keigo revisions in between (respectful "
                    "〜れる/〜られる, お/ご〜できる, nominal お〜する) were written from the codebook and "
                    "rounds-1-3 train rows and chosen on the round-4 train rows, never on these.",
    "gold_test_r5": "Round-5 test items only (half random agent turns, half enriched on the cues of the "
                    "constructs measured worst: empathy, anticipation, personalization and, in English, "
                    "deflection; drawn, split and labelled after the last revision of the rules, blind to "
                    "the markers). The version before this one was the first to score them and its "
                    "totals were seen; the change since (a block of the agent's previous turns in the "
                    "supervised tier) was chosen on `train` rows only, never on these. Still the least "
                    "optimistic estimate of the shipped measure, with the widest CIs.",
    "gold_test_rule": "The same items, flagged by the rule alone (`m_<marker>` > 0, or the context column "
                      "for "
                      "anticipation and personalization), for comparison.",
    "keigo": "KeiCO sentence flags (尊敬語/謙譲語/丁寧語) vs. our detection (`keigo_features`). "
             "`dev` are the rows with 0-based position % 5 == 0 (those a lexicon author may inspect), "
             "`test` the other 80 %: quote `test`. P and R with Wilson 95 % CIs, F1 with a seeded "
             "bootstrap CI; AUC from counts. KeiCO sets (almost) one flag per sentence (45 of 10,007 "
             "carry two): a respectful sentence ending in です is not flagged polite, which caps the "
             "precision of teineigo/kenjougo on `all rows`; `no other flag` scores each form only on "
             "sentences where KeiCO sets neither of the other two flags.",
    "keigo_levels": "Share of sentences KeiCO flags (`label_rate`) and share where we detect the form "
                    "(`detected_rate`), per KeiCO level (1 = most honorific, 4 = plain).",
    "maia": "Agent turns of MAIA-DQE (the agent's original English). The politeness label is nearly "
            "constant (663 polite / 4 not / 11 null agent turns in de_client_02, SOURCE.md): its AUC rests "
            "on a handful of negatives and is **not informative**.",
    "stanford": "Top vs. bottom quartile requests; ridge logistic regression (lambda = 1, unpenalised "
                "intercept) on binary indicators of all English markers; seeded stratified 10-fold CV "
                "in-domain, "
                "train-on-one/test-on-the-other cross-domain. Chance is 50 % (balanced classes). Published "
                "numbers for comparison: Danescu-Niculescu-Mizil et al. (2013) 83.8 % (Wikipedia, in-domain, "
                "linguistic features, leave-one-out CV, so not strictly comparable with 10-fold CV); "
                "ConvoKit's politeness strategies with logistic regression ~76 %.",
    "checkset_status": (
        "Hand-labelled check set (`data/checkset/`, see GUIDELINES.md). The two annotators of the "
        "current labels (`annotator_a`, `annotator_b`) are members of the project team — AI agents, "
        "not trained human coders — who labelled independently from the guidelines, without seeing "
        "the marker output or each other's labels. Treat the agreement and the scores below as a "
        "first check; a human re-annotation (add `labels_<name>.csv`) is welcome."
    ),
    "checkset_kappa": "Per annotator pair, language and label.",
    "checkset_markers": "Positive = both annotators said 1; `n_disagree` counts the items the annotators "
                        "disagree on (IDs are not listed).",
}


def _fmt(v: object) -> str:
    if isinstance(v, (float, np.floating)):
        return "–" if not np.isfinite(v) else f"{float(v):.3f}"
    if v is None or v is pd.NA:
        return "–"
    return str(v).replace("|", "\\|").replace("\n", " ")


def _markdown_table(df: pd.DataFrame) -> str:
    """A GitHub markdown table (no tabulate dependency)."""
    cols = [str(c) for c in df.columns]
    lines = ["| " + " | ".join(cols) + " |", "|" + "|".join("---" for _ in cols) + "|"]
    for rec in df.itertuples(index=False):
        lines.append("| " + " | ".join(_fmt(v) for v in rec) + " |")
    return "\n".join(lines)


_GOLD_COLS = ["lang", "corpus", "label", "n", "positives", "flagged", "precision", "precision_ci_low",
              "precision_ci_high", "recall", "recall_ci_low", "recall_ci_high", "f1", "f1_ci_low",
              "f1_ci_high"]
_SHOW = {
    "gold_test": _GOLD_COLS,
    "gold_test_rule": _GOLD_COLS,
    "gold_test_r4": _GOLD_COLS,
    "gold_test_r5": _GOLD_COLS,
    "keigo": ["split", "subset", "form", "label", "precision", "precision_low", "precision_high", "recall",
              "recall_low", "recall_high", "f1", "f1_low", "f1_high", "support", "n", "auc"],
    "maia": ["check", "unit", "gold", "predictor", "precision", "precision_low", "precision_high", "recall",
             "recall_low", "recall_high", "f1", "f1_low", "f1_high", "support", "n", "auc"],
    "checkset_markers": ["lang", "label", "precision", "precision_low", "precision_high", "recall",
                         "recall_low", "recall_high", "f1", "support", "n", "n_disagree"],
}


def _weak_spots(results: Mapping[str, pd.DataFrame | str], limit: float = 0.6, min_support: int = 10
                ) -> list[str]:
    """Bullet lines naming every measured marker whose precision or recall is below ``limit``.

    Markers with fewer than ``min_support`` gold positives are listed apart: their numbers are too
    uncertain to call them weak or strong. Check-set labels with kappa below ``limit`` are listed too.
    """
    out, few = [], []
    specs = (("keigo", ["form", "subset"], "KeiCO"), ("maia", ["check"], "MAIA"),
             ("checkset_markers", ["lang", "label"], "check set"),
             ("gold_test", ["lang", "corpus", "label"], "gold test split"))
    for key, id_cols, where in specs:
        df = results.get(key)
        if not isinstance(df, pd.DataFrame) or df.empty:
            continue
        if key == "keigo":
            df = df[df["split"] == "test"]
        for rec in df.to_dict("records"):
            name = " / ".join(str(rec[c]) for c in id_cols)
            rec.setdefault("support", rec.get("positives", 0))
            if rec.get("support", 0) < min_support:
                few.append(f"{name} ({where}, {rec.get('support', 0)})")
                continue
            weak = [f"{m} {rec[m]:.2f}" for m in ("precision", "recall")
                    if isinstance(rec.get(m), float) and np.isfinite(rec[m]) and rec[m] < limit]
            if weak:
                out.append(f"- **{name}** ({where}): " + ", ".join(weak) + f" (support {rec['support']}).")
    df = results.get("stanford")
    if isinstance(df, pd.DataFrame) and not df.empty:
        for rec in df.to_dict("records"):
            if rec["accuracy"] < PAPER_WIKI_IN_DOMAIN - 0.05 and rec["train"] == rec["test"] == "wikipedia":
                out.append(f"- **politeness features** (Stanford, Wikipedia in-domain): accuracy "
                           f"{rec['accuracy']:.3f} vs. the paper's {PAPER_WIKI_IN_DOMAIN:.3f}.")
    df = results.get("checkset_kappa")
    if isinstance(df, pd.DataFrame) and not df.empty:
        low = df[df["kappa"] < limit]
        if len(low):
            out.append("- **Annotation guidelines** need tightening where agreement is low (kappa < "
                       f"{limit}): " + ", ".join(f"{r.lang} {r.label} {r.kappa:.2f}" for r in
                                                 low.itertuples()) + "; the consensus is shaky there.")
    if few:
        out.append(f"- Too few gold positives (< {min_support}) to judge: " + "; ".join(few) + ".")
    return out


CAVEATS = """\
Caveats that the numbers above cannot show:

- **KeiCO is not service dialogue.** Its sentences were written to illustrate keigo levels; recall on
  KeiCO says little about colloquial chat Japanese (ASDC) where keigo is lighter and mixed.
- **Respectful passive (〜れる/〜られる)** is detected by a heuristic (a cue in the sentence: an honoured
  person, an お/ご prefix, a question to the listener or 〜のですね/〜んですね confirming their state, or
  おられる); since this version it is part of ``m_sonkeigo`` in every feature table, as the codebook
  counts it.
  It is the main source of sonkeigo false positives (a plain passive with a cue: 上司に言われたのですね,
  振り回されているお気持ち) and false negatives (a respectful statement with no cue: 帰られました).
- **Kenjougo I vs. II** are merged (敬語の指針, 2007), while KeiCO's 謙譲語 flag follows its own guideline.
- **MAIA empathy** labels are per sentence and rare; our lexicon targets formulaic empathy ("I understand
  how frustrating..."), so creative or implicit empathy is missed and "sorry to hear" is counted as empathy,
  not apology.
- **MAIA templated** is a human judgement of canned text; our proxy only sees recurrence across the
  corpus's 133 dialogues, so rare scripts (used in < 5 dialogues) are missed and recurring short
  acknowledgements ("Thank you.") count as scripted.
- **MAIA politeness** is almost always 1: no conclusion about politeness detection can be drawn from it.
- **Stanford requests** are Wikipedia/Stack Exchange editor requests, not service talk; accuracy there
  validates the politeness strategies' direction, not their calibration in customer service.
- **Context markers** (anticipation, personalization) are lexical-cue heuristics checked only on the
  240-item check set; the sample is enriched for cue matches (GUIDELINES.md), so precision there is not
  the corpus precision and recall is optimistic for cue-less behaviour.
- **Parallel text, which side is wrong** (from reading seeded samples of BSD disagreements,
  `parallel_disagreements`; BSD is colleagues talking, so "for the customer" rarely applies):
  - *Ownership, English only* (most disagreements): mostly the English side over-fires on first-person
    plans, intentions and joint "we" actions that are not done for the other party ("we'll sort out our
    plans", "we are looking to expand"); beliefs and doubts ("I thought we...", "not sure if I can")
    are now excluded. Some are the Japanese side missing a commitment in plain style (すぐ送るよ, 伝えておく
    よ), now matched (`ja_ownership_te_oku_plain`, plain action verbs + ます, 差し上げます), or a
    translation that adds a commitment the Japanese does not state (an acknowledgement rendered as
    "I'll do it").
  - *Empathy*: both sides. English missed "congratulations", "that sounds tragic" and "get well" (now
    matched) and still misses exclamations ("Oh, how lovely!", "That's awesome"); English "I understand"
    translating わかりました is an acknowledgement, not empathy, but without the previous turn the marker
    cannot tell (the shipped construct model sees the context). Japanese over-fires on evaluations closed
    by ね (それは厳しいですね) and on the speaker's own feelings (〜と感じます about oneself).
  - *Politeness form*: not a marker error (English has no honorific morphology).
"""
_UNLABELLED = ("- **The check set is not labelled yet**: the precision and recall of anticipation, "
               "ownership, "
               "deflection and personalization are unknown.")


def render_report(results: Mapping[str, pd.DataFrame | str]) -> str:
    """Markdown text of the validation report from the section tables.

    Parameters
    ----------
    results : mapping
        Section key (see :data:`SECTIONS`) -> table, or a string explaining why it is missing
        (e.g. corpus not available).

    Examples
    --------
    >>> text = render_report({"keigo": "KeiCO not available."})
    >>> "## Keigo vs. KeiCO" in text and "## Where each marker is weak" in text
    True
    """
    parts = [
        "# Marker validation report",
        "",
        "Generated by `omotenashi_research.validation`; do not edit by hand. Regenerate with:",
        "",
        "```",
        REPORT_COMMAND,
        "```",
        "",
        "(needs `OMOTENASHI_DATA` pointing at the staged corpora; `make validation` runs the same). "
        f"All resampling is seeded (seed {SEED}); numbers change only with the lexicons, the code or "
        "the data.",
        "",
    ]
    for key, title in _sections():
        parts += [f"## {title}", ""]
        if key in _INTRO:
            parts += [_INTRO[key], ""]
        val = results.get(key)
        if val is None:
            parts += ["_Not computed._", ""]
        elif isinstance(val, str):
            parts += [f"_{val}_", ""]
        elif val.empty:
            parts += ["_No rows (not yet labelled)._" if key.startswith("checkset") else "_No rows._", ""]
        else:
            cols = [c for c in _SHOW.get(key, list(val.columns)) if c in val.columns]
            parts += [_markdown_table(val[cols]), ""]
    parts += ["## Where each marker is weak", "",
              "Measured markers with precision or recall below 0.6 (KeiCO: test split):", ""]
    weak = _weak_spots(results)
    markers = results.get("checkset_markers")
    if not isinstance(markers, pd.DataFrame) or markers.empty:
        weak.append(_UNLABELLED)
    parts += (weak or ["- none below 0.6 among the measured markers."]) + ["", CAVEATS]
    return "\n".join(parts).rstrip() + "\n"


def _guard(fn: Callable[[], object], what: str) -> object:
    try:
        return fn()
    except CorpusNotFoundError as err:
        first = str(err).splitlines()[0]
        return f"{what}: corpus not available ({first})"


def run_all(*, n_boot: int = 1000) -> dict[str, pd.DataFrame | str]:
    """Compute every section (a missing corpus turns its section into a note instead of failing)."""
    results: dict[str, pd.DataFrame | str] = {}
    keigo = _guard(lambda: validate_keigo(n_boot=n_boot), "KeiCO")
    if isinstance(keigo, tuple):
        results["keigo"], results["keigo_levels"] = keigo
    else:
        results["keigo"] = results["keigo_levels"] = keigo  # type: ignore[assignment]
    results["maia"] = _guard(lambda: validate_maia(n_boot=n_boot), "MAIA-DQE")  # type: ignore[assignment]
    results["stanford"] = _guard(validate_stanford, "Stanford politeness")  # type: ignore[assignment]
    results.update(_gold_sections())
    results.update(_external_sections(n_boot=n_boot))
    try:
        items = _read_items(None)
    except ChecksetError as err:
        results["checkset_status"] = str(err)
    else:
        cs = _guard(lambda: checkset_agreement(items=items), "check set")
        if isinstance(cs, dict):
            results["checkset_status"], results["checkset_kappa"] = cs["status"], cs["kappa"]
            results["checkset_markers"] = cs["markers"]
        else:
            results["checkset_status"] = cs  # type: ignore[assignment]
    return results


def _external_sections(*, n_boot: int) -> dict[str, pd.DataFrame | str]:
    """Parallel-text agreement and criterion validity (issue 9; corpora needed, ~15 CPU minutes)."""
    from omotenashi_research import validation_external as ext

    res = _guard(lambda: ext.run_external(n_boot=n_boot), "external validation")
    if isinstance(res, str):
        return {key: res for key, _ in ext.EXTERNAL_SECTIONS}
    return dict(res)  # type: ignore[arg-type]


def _gold_sections() -> dict[str, pd.DataFrame | str]:
    """Gold-set agreement (no corpus needed) and test-split scores (corpus and shipped models needed)."""
    from omotenashi_research import gold
    from omotenashi_research.annotation import AnnotationError
    from omotenashi_research.constructs import ConstructModelError

    out: dict[str, pd.DataFrame | str] = {}
    try:
        out["gold_kappa"] = gold.gold_agreement()
    except AnnotationError as err:
        out["gold_kappa"] = str(err)
        return out
    def both() -> tuple[pd.DataFrame, pd.DataFrame]:
        frames = gold.gold_frames()
        pred = gold.gold_predictions(frames)
        by_round = (gold.gold_validation(frames, predictions=pred, strata=st)
                    for st in (gold.ROUND_STRATA[4], gold.ROUND_STRATA[5]))
        return (gold.gold_validation(frames, predictions=pred), *by_round)

    res = _guard(both, "gold set")
    keys = ("gold_test", "gold_test_rule", "gold_test_r4", "gold_test_r5")
    if isinstance(res, str):
        out.update(dict.fromkeys(keys, res))
    else:
        res, r4, r5 = res
        try:
            shipped = res[res["measure"] == "shipped"].drop(columns="measure")
        except (KeyError, ConstructModelError) as err:  # pragma: no cover - defensive
            out.update(dict.fromkeys(keys, str(err)))
            return out
        out["gold_test"] = shipped.reset_index(drop=True)
        out["gold_test_rule"] = res[res["measure"] == "rule"].drop(columns="measure").reset_index(drop=True)
        for name, r in (("gold_test_r4", r4), ("gold_test_r5", r5)):
            out[name] = r[r["measure"] == "shipped"].drop(columns="measure").reset_index(drop=True)
    return out


def gold_test_table(results: Mapping[str, pd.DataFrame | str]) -> pd.DataFrame | None:
    """The gold test-split sections as one tidy table (``measure`` = ``shipped`` or ``rule``), or None.

    Columns ``lang``, ``corpus``, ``label``, ``measure``, then the report's metrics (n, positives,
    flagged, precision, recall, F1 and their CI bounds), in the report's row order, rounded to 4 decimals.
    ``findings.measure_quality`` reads it.
    """
    parts = []
    for key, measure in (("gold_test", "shipped"), ("gold_test_rule", "rule")):
        df = results.get(key)
        if isinstance(df, pd.DataFrame) and not df.empty:
            cols = [c for c in _GOLD_COLS if c in df.columns]
            parts.append(df[cols].assign(measure=measure))
    if not parts:
        return None
    out = pd.concat(parts, ignore_index=True)
    out = out[["lang", "corpus", "label", "measure", *(c for c in out.columns
                                                      if c not in ("lang", "corpus", "label", "measure"))]]
    return out.round(4)


def write_gold_test_csv(results: Mapping[str, pd.DataFrame | str], path: str | Path) -> Path | None:
    """Write :func:`gold_test_table` to ``path`` (nothing when the gold sections were not computed)."""
    table = gold_test_table(results)
    if table is None:
        return None
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(path, index=False, lineterminator="\n")
    return path


def write_report(path: str | Path, results: Mapping[str, pd.DataFrame | str] | None = None) -> Path:
    """Write the markdown report (computing every section unless ``results`` is given).

    The gold test-split table is also written as tidy CSV beside it (``docs/validation.md`` ->
    ``docs/validation_gold_test.csv``) when those sections were computed.
    """
    path = Path(path)
    results = results if results is not None else run_all()
    text = render_report(results)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    write_gold_test_csv(results, path.with_name(f"{path.stem}_gold_test.csv"))
    return path


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: write the report (default) or regenerate the check-set items."""
    parser = argparse.ArgumentParser(prog="python -m omotenashi_research.validation",
                                     description="Write the marker validation report.")
    parser.add_argument("--out", default="docs/validation.md", help="markdown file to write")
    parser.add_argument("--write-checkset", action="store_true",
                        help="regenerate data/checkset/items.csv (IDs only) instead of the report")
    args = parser.parse_args(argv)
    if args.write_checkset:
        items = build_checkset()
        items.to_csv(ITEMS_FILE, index=False)
        print(f"wrote {len(items)} items to {ITEMS_FILE}")
        return 0
    out = write_report(args.out)
    csv = out.with_name(f"{out.stem}_gold_test.csv")
    print(f"wrote {out}" + (f" and {csv}" if csv.exists() else ""))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
