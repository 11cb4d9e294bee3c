"""Regenerate ``convokit_reference.csv``: ConvoKit 5.0.0's politeness_api output on a fixed sample.

Two steps, because ConvoKit lives in a throwaway environment outside the repo:

1. ``export`` (project venv): draw the fixed sample with
   :func:`omotenashi_research.parity.reference_sample` and write ids + texts to a
   JSON-lines file **outside the repo** (corpus text never goes into the repo).
2. ``convokit`` (throwaway venv with ConvoKit): parse the texts as ConvoKit's ``TextParser`` does with a
   blank English spaCy pipeline + sentencizer (no trained parser is available) and run
   ``PolitenessStrategies`` (``strategy_collection="politeness_api"``); write corpus, id and the 21 0/1
   strategy columns (no text) to ``convokit_reference.csv``.

The exact commands and versions are in the docstring of ``tests/markers/test_convokit_parity.py``.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path

# ConvoKit's politeness_api feature names, in its order (politeness_strategies.F).
STRATEGIES = (
    "Please", "Please_start", "HASHEDGE", "Indirect_(btw)", "Hedges", "Factuality", "Deference",
    "Gratitude", "Apologizing", "1st_person_pl.", "1st_person", "1st_person_start", "2nd_person",
    "2nd_person_start", "Indirect_(greeting)", "Direct_question", "Direct_start", "HASPOSITIVE",
    "HASNEGATIVE", "SUBJUNCTIVE", "INDICATIVE",
)


def _export(out: Path) -> None:
    from omotenashi_research.parity import reference_sample

    with open(out, "w", encoding="utf-8") as fh:
        for row in reference_sample().itertuples(index=False):
            fh.write(json.dumps({"corpus": row.corpus, "id": row.id, "text": row.text}) + "\n")


def _invented(out: Path) -> None:
    # Invented edge-case texts (convokit_invented.csv, written by hand for the tests) as JSONL.
    with open(Path(__file__).with_name("convokit_invented.csv"), encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    with open(out, "w", encoding="utf-8") as fh:
        for r in rows:
            fh.write(json.dumps({"corpus": "invented", "id": r["id"], "text": r["text"]}) + "\n")


def _convokit(inp: Path, out: Path) -> None:
    import spacy
    from convokit import Corpus, Speaker, Utterance
    from convokit.politenessStrategies import PolitenessStrategies
    from convokit.text_processing.textParser import _process_sentence

    rows = [json.loads(line) for line in inp.read_text(encoding="utf-8").splitlines()]
    # No trained English parser may be downloaded here: a blank English tokenizer + sentencizer
    # stands in for en_core_web_sm, so dep/head-based rules see no dependencies.
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")

    def parse(text: str) -> list[dict]:
        # What TextParser(mode="parse", spacy_nlp=nlp) stores for a parser-less doc (dep "", no
        # "up", no children, root = first token), built with ConvoKit's own _process_sentence in
        # "tag" mode: TextParser itself segfaults in spaCy's Token.children on unparsed docs.
        sents, offset = [], 0
        for sent in nlp(text.strip()).sents:
            s = _process_sentence(sent, mode="tag", offset=offset)
            for t in s["toks"]:
                t.update(dep="", dn=[])
            s["rt"] = 0
            sents.append(s)
            offset += len(s["toks"])
        return sents

    spk = Speaker(id="s")
    utts = [Utterance(id=str(i), text=r["text"], speaker=spk, conversation_id=str(i), reply_to=None,
                      meta={"parsed": parse(r["text"])})
            for i, r in enumerate(rows)]
    corpus = Corpus(utterances=utts)
    corpus = PolitenessStrategies(strategy_collection="politeness_api").transform(corpus)
    with open(out, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["corpus", "id", *STRATEGIES])
        for i, r in enumerate(rows):
            feats = corpus.get_utterance(str(i)).meta["politeness_strategies"]
            values = [int(feats[f"feature_politeness_=={s}=="]) for s in STRATEGIES]
            w.writerow([r["corpus"], r["id"], *values])


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    e = sub.add_parser("export", help="write the sample (ids + texts) to a JSONL file outside the repo")
    e.add_argument("out", type=Path)
    i = sub.add_parser("invented", help="write the invented texts of convokit_invented.csv to JSONL")
    i.add_argument("out", type=Path)
    c = sub.add_parser("convokit", help="run ConvoKit on the exported sample; write the reference CSV")
    c.add_argument("inp", type=Path)
    c.add_argument("out", type=Path)
    args = p.parse_args(argv)
    if args.cmd == "export":
        _export(args.out)
    elif args.cmd == "invented":
        _invented(args.out)
    else:
        _convokit(args.inp, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
