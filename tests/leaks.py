"""Search committed notebook outputs for corpus utterances (shared by the leak tests)."""

from __future__ import annotations

import json


def output_text(cells: list[dict]) -> str:
    """Every text an output shows (streams, text/plain, text/html, errors), decoded from the JSON (so a
    quote or a line break inside an utterance is searched as itself); images are left out."""
    parts: list[str] = []
    for c in cells:
        for o in c.get("outputs", []):
            values = [o.get("text", ""), *o.get("traceback", []), o.get("evalue", "")]
            values += [v for mime, v in o.get("data", {}).items() if not mime.startswith("image/")]
            for v in values:
                text = "".join(v) if isinstance(v, list) else v
                parts.append(text if isinstance(text, str) else json.dumps(v))
    return "\x00".join(parts)


def hits(texts: set[str], out: str, width: int = 25) -> int:
    """How many of ``texts`` (each at least ``width`` characters) occur in ``out``: only texts whose first
    ``width`` characters occur there are searched in full (the same count as ``sum(t in out ...)``)."""
    windows = {out[i:i + width] for i in range(len(out) - width + 1)}
    return sum(t in out for t in texts if t[:width] in windows)
