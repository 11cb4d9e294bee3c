"""Loading all of KokoroChat (6,589 dialogues, 600,939 messages), as a ratio to parsing its JSON (issue 8).

Each repetition times, interleaved, the unavoidable part (read every zip member and ``json.loads`` it:
the baseline) and then ``load_kokorochat`` (the same reading plus checks, the table and schema
validation). The ratio load/baseline is robust to load on the shared machine, because both sides of a
pair feel the same load; absolute wall and CPU seconds and the 1-minute load average are printed too.
Peak RSS is ``resource.getrusage`` of this process after the first load (includes the imports).

Targets: load/baseline <= 6 (min over repetitions); absolute, on an otherwise idle 2-core machine,
< 30 s wall and < 2 GB peak RSS (issue 8). Only counts and timings are printed, never text
(CC BY-NC-ND).

Run: ``OMOTENASHI_DATA=... .venv/bin/python benchmarks/bench_kokorochat.py [--repeat 2]``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import time
import zipfile

from omotenashi_research.datasets._paths import corpus_file
from omotenashi_research.datasets.kokorochat import load_kokorochat


def _baseline() -> int:
    n = 0
    with zipfile.ZipFile(corpus_file("kokorochat", "kokorochat_dialogues.zip")) as zf:
        for name in zf.namelist():
            n += len(json.loads(zf.read(name))["dialogue"])
    return n


def _timed(fn):
    w, c = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - w, time.process_time() - c


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    ratios = []
    for rep in range(args.repeat):
        load = os.getloadavg()[0]
        n, bw, bc = _timed(_baseline)
        df, lw, lc = _timed(lambda: load_kokorochat(progress=False))
        assert len(df) == n == 600_939
        del df
        ratios.append(lw / bw)
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
        print(f"rep {rep}: load avg {load:.1f}; baseline {bw:.1f} s wall / {bc:.1f} s CPU; "
              f"load_kokorochat {lw:.1f} s wall / {lc:.1f} s CPU; ratio {ratios[-1]:.2f}; "
              f"peak RSS so far {rss:.0f} MiB")
    print(f"load/baseline: min {min(ratios):.2f} (target <= 6)")


if __name__ == "__main__":
    main()
