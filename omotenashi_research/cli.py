"""The ``omotenashi`` command line: validate, extract features, compare groups, redact, list corpora.

Run ``omotenashi --help`` or ``omotenashi <command> --help`` (without the console script:
``python -m omotenashi_research.cli ...``). Commands:

- ``validate FILE``: read transcripts, print the quarantine report, write ``<stem>.valid<ext>`` and
  ``<stem>.quarantine<ext>``;
- ``features IN -o OUT.parquet [--context] [--dialogue]``: streamed chunk by chunk (memory does not
  grow with the file) into Parquet (or CSV);
- ``compare FEATURES --by lang --features m_apology m_gratitude``: the ``compare_groups`` table
  as CSV or Markdown;
- ``redact IN -o OUT``: replace personal data by placeholders, with a report of what was replaced;
- ``data list`` / ``data fetch [CORPUS ...]``: the corpora, where they are, their licences.

Exit codes: 0 success, 1 a data problem (invalid rows, a corpus or file not found, a failed
download), 2 a usage error (bad option). Errors are one line on stderr; ``--debug`` shows the
traceback instead. No command prints utterance text.
"""

from __future__ import annotations

import argparse
import fnmatch
import sys
import time
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = ["main"]

EXIT_OK, EXIT_DATA, EXIT_USAGE = 0, 1, 2
_PROG = "omotenashi"


class UsageError(Exception):
    """A wrong option or argument value found after parsing (exit code 2)."""


# ---------------------------------------------------------------------------------------------- helpers


def _pairs(values: Sequence[str] | None, what: str) -> dict[str, str] | None:
    """``["a=b", ...]`` -> ``{"a": "b"}``."""
    if not values:
        return None
    out = {}
    for v in values:
        mine, sep, theirs = v.partition("=")
        if not sep or not mine or not theirs:
            raise UsageError(f"{what} expects YOURS=OURS, got {v!r}")
        out[mine] = theirs
    return out


def _read_options(args: argparse.Namespace) -> dict[str, Any]:
    return {
        "columns": _pairs(args.column, "--column"),
        "role_map": _pairs(args.role, "--role"),
        "corpus": args.corpus,
        "lang": args.lang,
        "encoding": args.encoding,
    }


def _add_read_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("reading the input (as omotenashi_research.io.read_transcripts)")
    g.add_argument("--column", action="append", metavar="YOURS=OURS",
                   help="map one of your column names to a schema name, e.g. --column message=text "
                   "(repeatable)")
    g.add_argument("--role", action="append", metavar="YOURS=ROLE",
                   help="map one of your role values to agent/customer/other, e.g. --role staff=agent")
    g.add_argument("--corpus", help="corpus name where the input has none (default: the file name)")
    g.add_argument("--lang", help="language where the input has none, e.g. ja or en")
    g.add_argument("--encoding", default="utf-8", help="text encoding of the file (default utf-8)")


def _progress(total: int | None, desc: str, enabled: bool):
    from tqdm import tqdm

    # disable=None: bars only on a terminal, so logs and pipes stay clean.
    return tqdm(total=total, desc=desc, unit="rows", disable=None if enabled else True, file=sys.stderr)


def _count_lines(path: Path) -> int:
    n = 0
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            n += block.count(b"\n")
    return n


def _format_of(path: Path) -> str:
    from omotenashi_research.io import FORMATS

    suffix = path.suffix.lower()
    if suffix in (".parquet", ".pq"):
        return "parquet"
    if suffix in FORMATS:
        return FORMATS[suffix]
    raise UsageError(f"{path}: unknown file type {suffix!r}; use .csv, .tsv, .jsonl or .parquet")


def _sibling(path: Path, tag: str, out_dir: str | None) -> Path:
    folder = Path(out_dir) if out_dir else path.parent
    return folder / f"{path.stem}.{tag}{path.suffix}"


# -------------------------------------------------------------------------------------------- validate


def _cmd_validate(args: argparse.Namespace) -> int:
    from omotenashi_research.io import read_transcripts, write_transcripts

    path = Path(args.file)
    if _format_of(path) == "parquet":
        raise UsageError("validate reads CSV, TSV or JSONL files")
    valid, quarantine = read_transcripts(path, errors="quarantine", turn="order" if args.turn_order else None,
                                         **_read_options(args))
    n = len(valid) + len(quarantine)
    print(f"{path}: {n} rows, {len(valid)} valid, {len(quarantine)} quarantined")
    if len(quarantine):
        # Reasons name columns and problems, never cell values (no utterance text on screen).
        problems = quarantine["_reasons"].str.split("; ").explode().value_counts()
        print("problems (rows affected):")
        for problem, count in problems.items():
            print(f"  {count:>7}  {problem}")
        shown = quarantine[["_row", "_reasons"]].head(args.show)
        print(f"first {len(shown)} quarantined rows (row = line number in the file):")
        for rec in shown.itertuples(index=False):
            print(f"  row {rec._0}: {rec._1}")
    formulas = "escape" if args.escape_formulas else "keep"
    if not args.no_write:
        if args.out_dir:
            Path(args.out_dir).mkdir(parents=True, exist_ok=True)
        vpath = _sibling(path, "valid", args.out_dir)
        qpath = _sibling(path, "quarantine", args.out_dir)
        write_transcripts(valid, vpath, validate=False, formulas=formulas)
        write_transcripts(quarantine, qpath, validate=False, formulas=formulas)
        print(f"wrote {vpath} and {qpath}")
    return EXIT_DATA if len(quarantine) else EXIT_OK


# -------------------------------------------------------------------------------------------- features


def _input_chunks(path: Path, chunksize: int, read_opts: dict[str, Any], bar) -> Iterator[pd.DataFrame]:
    """Validated utterance chunks of about ``chunksize`` rows, read lazily from the file."""
    from omotenashi_research.errors import TranscriptValidationError
    from omotenashi_research.io import read_transcripts

    fmt = _format_of(path)
    if not path.is_file():
        raise FileNotFoundError(f"input file not found: {path}")
    read_opts = dict(read_opts)
    read_opts["corpus"] = read_opts["corpus"] or path.stem
    encoding = read_opts.pop("encoding")
    if fmt == "parquet":
        import pyarrow.parquet as pq

        raw: Iterator[pd.DataFrame] = (b.to_pandas() for b in pq.ParquetFile(path).iter_batches(chunksize))
    elif fmt == "jsonl":
        raw = pd.read_json(path, lines=True, chunksize=chunksize, dtype=False, encoding=encoding)
    else:
        raw = pd.read_csv(path, sep="," if fmt == "csv" else "\t", chunksize=chunksize, dtype=str,
                          keep_default_na=False, na_values=[""], encoding=encoding)
    first_row = 1
    for chunk in raw:
        # Rows named by their data row number (1 = first row after the header) in errors.
        chunk.index = pd.RangeIndex(first_row, first_row + len(chunk))
        first_row += len(chunk)
        try:
            table = read_transcripts(chunk, **read_opts)
        except TranscriptValidationError as err:
            where = f"{path} (row = data row, header not counted)"
            raise TranscriptValidationError(err.failures, where) from None
        bar.update(len(chunk))
        yield table


def _arrow_ready(df: pd.DataFrame) -> pd.DataFrame:
    """Categoricals as plain values, so every chunk has the same Parquet schema."""
    out = df.copy()
    for c in out.columns:
        if isinstance(out[c].dtype, pd.CategoricalDtype):
            out[c] = out[c].astype(object).where(out[c].notna(), None)
    return out


class _TableWriter:
    """Append feature chunks to one Parquet (or CSV/TSV) file with a fixed schema."""

    def __init__(self, path: Path):
        self.path = path
        self.fmt = "parquet" if path.suffix.lower() in (".parquet", ".pq") else _format_of(path)
        if self.fmt == "jsonl":
            raise UsageError("features writes .parquet, .csv or .tsv")
        self.writer = None
        self.schema = None
        self.rows = 0

    def write(self, df: pd.DataFrame) -> None:
        df = _arrow_ready(df)
        if self.fmt == "parquet":
            import pyarrow as pa
            import pyarrow.parquet as pq

            if self.writer is None:
                schema = pa.Schema.from_pandas(df, preserve_index=False)
                # A column that is all-NA in the first chunk has no type yet: text is the safe guess.
                fields = [pa.field(f.name, pa.string()) if pa.types.is_null(f.type) else f for f in schema]
                # Keep the pandas metadata: nullable Int64 columns read back as Int64, not float.
                self.schema = pa.schema(fields, metadata=schema.metadata)
                self.writer = pq.ParquetWriter(self.path, self.schema)
            self.writer.write_table(pa.Table.from_pandas(df, schema=self.schema, preserve_index=False))
        else:
            from omotenashi_research.redact import neutralize_formulas

            neutralize_formulas(df).to_csv(self.path, mode="w" if self.rows == 0 else "a", index=False,
                                           header=self.rows == 0, sep="," if self.fmt == "csv" else "\t")
        self.rows += len(df)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


def _cmd_features(args: argparse.Namespace) -> int:
    from omotenashi_research.features import iter_features

    path, out = Path(args.input), Path(args.output)
    if args.chunksize < 1:
        raise UsageError(f"--chunksize must be >= 1, got {args.chunksize}")
    writer = _TableWriter(out)  # checks the output type before any work
    fmt = _format_of(path)
    if fmt == "parquet":
        import pyarrow.parquet as pq

        total = pq.ParquetFile(path).metadata.num_rows if path.is_file() else None
    else:
        total = max(_count_lines(path) - (fmt != "jsonl"), 0) if path.is_file() else None
    start = time.perf_counter()
    with _progress(total, "features", not args.no_progress) as bar:
        chunks = _input_chunks(path, args.chunksize, _read_options(args), bar)
        try:
            if args.dialogue:
                # Scriptedness compares each dialogue with the whole corpus: the table is read whole.
                from omotenashi_research.dialogue import dialogue_features

                utts = pd.concat(list(chunks), ignore_index=True)
                writer.write(dialogue_features(utts, sentiment=not args.no_sentiment, source=str(path)))
            else:
                for feats in iter_features(chunks, context=args.context, batch_size=args.batch_size):
                    writer.write(feats)
        finally:
            writer.close()
    if writer.rows == 0 and not out.exists():
        raise ValueError(f"{path}: no rows to process")
    secs = time.perf_counter() - start
    unit = "dialogues" if args.dialogue else "utterances"
    print(f"wrote {writer.rows} {unit} to {out} in {secs:.1f} s", file=sys.stderr)
    return EXIT_OK


# --------------------------------------------------------------------------------------------- compare


def _read_table(path: Path, columns: list[str] | None = None) -> pd.DataFrame:
    if not path.is_file():
        raise FileNotFoundError(f"file not found: {path}")
    fmt = _format_of(path)
    if fmt == "parquet":
        import pyarrow.parquet as pq

        names = pq.ParquetFile(path).schema_arrow.names
        if columns is not None:
            missing = [c for c in columns if c not in names]
            if missing:
                raise KeyError(f"{path}: column(s) {missing} not in the file")
        return pd.read_parquet(path, columns=columns)
    if fmt == "jsonl":
        return pd.read_json(path, lines=True)
    return pd.read_csv(path, sep="," if fmt == "csv" else "\t", usecols=columns)


def _markdown(df: pd.DataFrame, digits: int) -> str:
    def cell(v: Any) -> str:
        if v is None or v is pd.NA or (isinstance(v, float) and pd.isna(v)):
            return ""
        if isinstance(v, float):
            return f"{v:.{digits}g}"
        return str(v).replace("|", "\\|")

    head = "| " + " | ".join(map(str, df.columns)) + " |"
    rule = "|" + "|".join("---:" if pd.api.types.is_numeric_dtype(df[c]) else "---" for c in df.columns) + "|"
    rows = ["| " + " | ".join(cell(v) for v in rec) + " |" for rec in df.itertuples(index=False, name=None)]
    return "\n".join([head, rule, *rows]) + "\n"


def _cmd_compare(args: argparse.Namespace) -> int:
    import pyarrow.parquet as pq

    from omotenashi_research.stats.compare import compare_groups

    path = Path(args.features_file)
    if not path.is_file():
        raise FileNotFoundError(f"features file not found: {path}")
    if _format_of(path) == "parquet":
        available = pq.ParquetFile(path).schema_arrow.names
    else:
        available = list(_read_table(path).columns)
    wanted = []
    for pattern in args.features:
        hits = [c for c in available if fnmatch.fnmatchcase(c, pattern)]
        if not hits:
            raise UsageError(f"--features {pattern!r} matches no column of {path} "
                             f"(feature columns look like m_apology, n_tokens)")
        wanted += [c for c in hits if c not in wanted]
    need = [args.by, "corpus", "dialogue_id", *(["role"] if args.role else []), *wanted]
    df = _read_table(path, list(dict.fromkeys(need)))
    if args.role:
        df = df[df["role"].isin(args.role)]
        if df.empty:
            raise ValueError(f"{path}: no rows with role in {args.role}")
    # Dialogue IDs are unique within a corpus only: the cluster is the pair.
    df = df.assign(_dialogue=df["corpus"].astype(str) + "\x1f" + df["dialogue_id"].astype(str))
    res = compare_groups(
        df, wanted, args.by, cluster="_dialogue", groups=tuple(args.groups) if args.groups else None,
        method=args.method, effect=args.effect, n_resamples=args.n_resamples,
        n_permutations=args.n_permutations, seed=args.seed,
    )
    text = _markdown(res, args.digits) if args.format == "md" else res.to_csv(index=False)
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
        print(f"wrote {len(res)} rows to {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return EXIT_OK


# ---------------------------------------------------------------------------------------------- redact


def _cmd_redact(args: argparse.Namespace) -> int:
    from omotenashi_research.io import read_transcripts, write_transcripts
    from omotenashi_research.redact import redact

    path, out = Path(args.input), Path(args.output)
    names = list(args.name or [])
    if args.names_file:
        lines = Path(args.names_file).read_text(encoding="utf-8").splitlines()
        names += [ln.strip() for ln in lines if ln.strip()]
    utts = read_transcripts(path, **_read_options(args))
    clean, report = redact(utts, names=names, ner=args.ner, types=args.types, columns=args.columns)
    write_transcripts(clean, out, formulas="keep" if args.keep_formulas else "escape")
    report_path = Path(args.report) if args.report else out.with_name(out.stem + ".redactions.csv")
    report.to_csv(report_path, index=False)
    counts = report["type"].value_counts().to_dict() if len(report) else {}
    summary = ", ".join(f"{k} {v}" for k, v in sorted(counts.items())) or "nothing found"
    print(f"{path}: {len(utts)} rows, {len(report)} replacements ({summary}); wrote {out} and {report_path}",
          file=sys.stderr)
    return EXIT_OK


# ------------------------------------------------------------------------------------------------ data


_PACKED = {"kokorochat": "kokorochat_dialogues.zip"}
_PACKED_PREFIX = {"kokorochat": "kokorochat_dialogues/"}


def _data_table() -> pd.DataFrame:
    from omotenashi_research.datasets._paths import data_dirs
    from omotenashi_research.datasets.fetch import LICENSES, registry

    reg = registry()
    dirs = data_dirs()
    rows = []
    for corpus, files in reg.groupby("corpus", sort=True):
        where, present = None, 0
        for d in dirs:
            if (d / corpus).is_dir():
                paths = files["path"]
                if corpus in _PACKED and (d / corpus / _PACKED[corpus]).is_file():
                    # one staged zip holds the upstream loose files unchanged (its SOURCE.md); the loader
                    # checks its members against the registry
                    paths = paths[~paths.str.startswith(_PACKED_PREFIX[corpus])]
                    n = int((files["path"].str.startswith(_PACKED_PREFIX[corpus])).sum())
                else:
                    n = 0
                n += sum((d / corpus / p).is_file() for p in paths)
                if n > present or where is None:
                    where, present = d / corpus, n
                if n == len(files):
                    break
        status = ("missing" if where is None else "complete" if present == len(files)
                  else f"partial ({present} of {len(files)} files)")
        rows.append({"corpus": corpus, "status": status, "where": str(where) if where else "",
                     "files": len(files), "size_mb": round(files["size"].sum() / 1e6, 1),
                     "license": LICENSES.get(corpus, "see the corpus's SOURCE.md")})
    return pd.DataFrame(rows)


def _cmd_data(args: argparse.Namespace) -> int:
    from omotenashi_research.datasets._paths import ENV_VAR, data_dirs

    if args.data_command == "list":
        table = _data_table()
        if args.format == "csv":
            sys.stdout.write(table.to_csv(index=False))
            return EXIT_OK
        print(f"searched, in order: {', '.join(map(str, data_dirs()))} (set {ENV_VAR} to add folders)")
        for rec in table.itertuples(index=False):
            print(f"{rec.corpus:<24} {rec.status:<28} {rec.size_mb:>8.1f} MB  {rec.where or '-'}")
            print(f"{'':<24} license: {rec.license}")
        return EXIT_OK
    from omotenashi_research.datasets.fetch import fetch

    root = None
    for name in args.corpora or [None]:
        root = fetch(name, mirror=args.mirror, data_dir=args.data_dir, progress=not args.no_progress)
    print(f"corpora are in {root}")
    return EXIT_OK


# ------------------------------------------------------------------------------------------------ main


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=_PROG, description="Omotenashi research tools for service transcripts (Japanese and English).",
        epilog="Exit codes: 0 ok, 1 data problem, 2 usage error. Add --debug for a traceback.",
    )
    parser.add_argument("--debug", action="store_true", help="show the full traceback on errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    p = sub.add_parser("validate", help="check a transcript file; write valid and quarantined rows",
                       description="Read a CSV/TSV/JSONL transcript file with quarantine: print how many "
                       "rows are valid, the problems found (no cell values), and write <stem>.valid<ext> and "
                       "<stem>.quarantine<ext>. Exit code 1 when any row was quarantined.")
    p.add_argument("file", help="transcript file (.csv, .tsv, .jsonl)")
    p.add_argument("--out-dir", help="folder for the two output files (default: next to FILE)")
    p.add_argument("--no-write", action="store_true", help="only print the report")
    p.add_argument("--show", type=int, default=10, help="quarantined rows to list (default 10)")
    p.add_argument("--turn-order", action="store_true", help="number turns by their order when there is no "
                   "turn column")
    p.add_argument("--escape-formulas", action="store_true",
                   help="prefix ' to cells starting with = + - @ (for files opened in spreadsheets)")
    _add_read_options(p)
    p.set_defaults(func=_cmd_validate)

    p = sub.add_parser("features", help="utterance (or dialogue) features to Parquet, streamed",
                       description="Token and marker counts per utterance, read and written chunk by chunk "
                       "(memory stays flat however large the file). Input: .csv/.tsv/.jsonl/.parquet "
                       "utterance table; output: .parquet (or .csv/.tsv).")
    p.add_argument("input", help="utterance table (.csv, .tsv, .jsonl, .parquet)")
    p.add_argument("-o", "--output", required=True, help="output file (.parquet, .csv, .tsv)")
    p.add_argument("--context", action="store_true",
                   help="add dialogue-context features (anticipation, personalization, phase); dialogues "
                   "must be contiguous in the file")
    p.add_argument("--dialogue", action="store_true",
                   help="write one row per dialogue (omotenashi_research.dialogue.dialogue_features) "
                   "instead; reads the whole file into memory (scriptedness compares dialogues across it)")
    p.add_argument("--no-sentiment", action="store_true", help="with --dialogue: skip customer sentiment")
    p.add_argument("--chunksize", type=int, default=20_000, help="rows per chunk (default 20000)")
    p.add_argument("--batch-size", type=int, default=1000, help="texts per spaCy batch (default 1000)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    _add_read_options(p)
    p.set_defaults(func=_cmd_features)

    p = sub.add_parser("compare", help="compare two groups of dialogues on features (compare_groups)",
                       description="One row per feature: effect, interval and p-value over dialogues "
                       "(omotenashi_research.stats.compare_groups), as CSV or Markdown.")
    p.add_argument("features_file", metavar="FEATURES",
                   help="output of `omotenashi features` (.parquet or .csv)")
    p.add_argument("--by", required=True, help="group column, e.g. lang")
    p.add_argument("--features", nargs="+", required=True, metavar="COLUMN",
                   help="feature columns; shell-style patterns allowed (quote them), e.g. 'm_pol_*'")
    p.add_argument("--groups", nargs=2, metavar=("GROUP1", "GROUP2"), help="which two groups, in this order")
    p.add_argument("--role", nargs="+", help="keep only these roles, e.g. --role agent")
    p.add_argument("--method", default="cluster_bootstrap",
                   choices=["cluster_bootstrap", "permutation", "mannwhitney", "welch"])
    p.add_argument("--effect", default="hedges_g", choices=["hedges_g", "cliffs_delta", "rate_ratio"])
    p.add_argument("--n-resamples", type=int, default=2000)
    p.add_argument("--n-permutations", type=int, default=9999)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--format", choices=["csv", "md"], default="csv", help="csv (default) or md (Markdown)")
    p.add_argument("--digits", type=int, default=4, help="significant digits in Markdown (default 4)")
    p.add_argument("-o", "--output", help="write to this file instead of stdout")
    p.set_defaults(func=_cmd_compare)

    p = sub.add_parser("redact", help="replace personal data (e-mails, phones, cards, names) by placeholders",
                       description="Redact PII (omotenashi_research.redact) and write the table and a report "
                       "of what was replaced (positions and types, never the values). CSV/TSV output has "
                       "spreadsheet formulas neutralised unless --keep-formulas.")
    p.add_argument("input", help="transcript file (.csv, .tsv, .jsonl)")
    p.add_argument("-o", "--output", required=True, help="redacted file (.csv, .tsv, .jsonl)")
    p.add_argument("--report", help="report file (default: <output stem>.redactions.csv)")
    p.add_argument("--name", action="append", help="a name to redact wherever it occurs (repeatable)")
    p.add_argument("--names-file", help="file with one name per line")
    p.add_argument("--ner", action="store_true", help="also use GiNZA NER on Japanese rows (slow)")
    p.add_argument("--types", nargs="+", choices=["email", "url", "card", "phone", "postcode", "name"],
                   help="only these kinds (default all)")
    p.add_argument("--columns", nargs="+", default=["text"], help="columns to redact (default text)")
    p.add_argument("--keep-formulas", action="store_true", help="do not neutralise spreadsheet formulas")
    _add_read_options(p)
    p.set_defaults(func=_cmd_redact)

    p = sub.add_parser("data", help="corpora: list where they are and their licences, or fetch them",
                       description="List the corpora the loaders know (status, folder, size, licence) or "
                       "download and verify them.")
    dsub = p.add_subparsers(dest="data_command", metavar="ACTION", required=True)
    q = dsub.add_parser("list", help="corpora, where they are found, licences")
    q.add_argument("--format", choices=["text", "csv"], default="text")
    q = dsub.add_parser("fetch", help="download and verify corpora (sha256) into the user cache")
    q.add_argument("corpora", nargs="*", help="corpora to fetch (default: all)")
    q.add_argument("--mirror", help="mirror base URL (default $OMOTENASHI_MIRROR or GitHub)")
    q.add_argument("--data-dir", help="target folder (default: user cache)")
    q.add_argument("--no-progress", action="store_true")
    p.set_defaults(func=_cmd_data)
    return parser


def _one_line(exc: BaseException) -> str:
    """The error as one line: its first line, plus the first detail line when there is one."""
    lines = [ln.strip() for ln in str(exc).strip().splitlines() if ln.strip()]
    if not lines:
        return type(exc).__name__
    text = lines[0]
    if len(lines) > 1:
        text += " " + lines[1]
        if len(lines) > 2:
            text += f" (+{len(lines) - 2} more lines; rerun with --debug, or `omotenashi validate FILE`)"
    if isinstance(exc, KeyError) and text.startswith(("'", '"')):
        text = text.strip("'\"")
    return text if len(text) <= 400 else text[:397] + "..."


def _warn_one_line(message, category, filename, lineno, file=None, line=None) -> None:
    print(f"{_PROG}: warning: {_one_line(Exception(str(message)))}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``omotenashi`` command line; returns the exit code.

    Examples
    --------
    >>> from omotenashi_research.cli import main
    >>> main(["data", "list", "--format", "csv"])  # doctest: +SKIP
    0
    """
    parser = _parser()
    try:
        args = parser.parse_args(argv)  # usage errors: argparse prints them and exits with 2
    except SystemExit as exc:  # --help (0) and usage errors (2) as return codes, for callers of main()
        return int(exc.code or 0)
    warnings.showwarning = _warn_one_line
    from omotenashi_research.errors import OmotenashiError

    data_errors: tuple[type[BaseException], ...] = (OmotenashiError, FileNotFoundError, ValueError, KeyError,
                                                   OSError, UnicodeError)
    try:
        import pyarrow as pa

        data_errors += (pa.ArrowException,)
    except ImportError:  # pragma: no cover - pyarrow is a dependency
        pass
    try:
        return args.func(args)
    except UsageError as exc:
        if args.debug:
            raise
        print(f"{_PROG} {args.command}: usage error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except data_errors as exc:
        if args.debug:
            raise
        print(f"{_PROG} {args.command}: error: {_one_line(exc)}", file=sys.stderr)
        return EXIT_DATA
    except KeyboardInterrupt:
        print(f"{_PROG} {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
