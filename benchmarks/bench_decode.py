"""Reading a wrongly encoded transcript file must cost linear time (issue 11, item 5).

A CSV of N invented Japanese rows is written in Shift_JIS and read with the default UTF-8, so every
data line holds undecodable bytes and is quarantined. Each repetition times, interleaved, the same
rows written in UTF-8 (the baseline) and the Shift_JIS file, at N and 4N rows. Reported: the ratio
wrong/right at each size, and the growth ratio time(4N)/time(N) of the wrong-encoding read, which is
~4 when decoding is linear and ~16 when quadratic (it was quadratic: 16,000 rows took 17-30 s).

Targets: growth ratio (min over repetitions) <= 6; wrong/right ratio at 4N <= 5.

Run: ``.venv/bin/python benchmarks/bench_decode.py [--n 4000] [--repeat 3]``.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from omotenashi_research.io import read_transcripts

HEADER = "corpus,dialogue_id,turn,role,text,lang\n"


def _write(folder: Path, n: int, encoding: str) -> Path:
    text = "お問い合わせありがとうございます。"  # invented
    body = "".join(f"c,d{i // 20},{i % 20},agent,{text}{i},ja\n" for i in range(n))
    path = folder / f"rows_{n}_{encoding}.csv"
    path.write_bytes((HEADER + body).encode(encoding))
    return path


def _time(path: Path) -> float:
    t0 = time.perf_counter()
    read_transcripts(path, errors="quarantine")
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=4000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as d:
        folder = Path(d)
        files = {(n, enc): _write(folder, n, enc)
                 for n in (args.n, 4 * args.n) for enc in ("utf-8", "shift_jis")}
        growth, ratio = [], []
        for rep in range(args.repeat):
            load = os.getloadavg()[0]
            t = {key: _time(path) for key, path in files.items()}
            growth.append(t[4 * args.n, "shift_jis"] / t[args.n, "shift_jis"])
            ratio.append(t[4 * args.n, "shift_jis"] / t[4 * args.n, "utf-8"])
            print(f"rep {rep}: load {load:.1f}; wrong-encoding read N={args.n}: "
                  f"{t[args.n, 'shift_jis']:.2f} s, "
                  f"4N: {t[4 * args.n, 'shift_jis']:.2f} s; growth {growth[-1]:.2f}; "
                  f"wrong/right at 4N {ratio[-1]:.2f}")
    print(f"growth time(4N)/time(N): min {min(growth):.2f} (target <= 6; quadratic would be ~16)")
    print(f"wrong/right encoding at 4N: min {min(ratio):.2f} (target <= 5)")


if __name__ == "__main__":
    main()
