"""Student-facing conventions every notebook keeps (issue 10, item 6).

* The first cell is Markdown with a ``# title`` that says what the notebook asks and how long it runs,
  in the words "Runs in about <number> <seconds|minutes>".
* No blanket warning filter: ``warnings.filterwarnings("ignore")`` / ``warnings.simplefilter("ignore")``
  without a ``category`` (other than ``Warning`` itself) or a ``message`` hides the loaders' warnings
  (dropped rows, incomplete corpora) that a student must see. Silence only a named, known-harmless
  warning, with a comment saying why.
* Progress bars from plain ``tqdm`` (``tqdm.auto`` writes widget outputs that differ between machines).
"""

from __future__ import annotations

import ast
import json
import re

import pytest

from tests.conftest import REPO

NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))
RUNTIME = re.compile(r"Runs\s+in\s+about\W{0,4}\d+(?:[.,]\d+)?\s*(?:seconds?|minutes?|min\b)", re.IGNORECASE)


def _cells(path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def _source(cell: dict) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def _python(code: str) -> str:
    # IPython magics and shell escapes are not Python: blank them (keeping line numbers)
    return "\n".join("" if ln.lstrip().startswith(("%", "!")) else ln for ln in code.splitlines())


_FILTERS = {"filterwarnings": ("action", "message", "category", "module", "lineno", "append"),
            "simplefilter": ("action", "category", "lineno", "append")}


def _blanket_filters(code: str) -> list[str]:
    """Calls like ``warnings.filterwarnings("ignore")`` that silence every warning."""
    found = []
    for node in ast.walk(ast.parse(_python(code))):
        if not isinstance(node, ast.Call):
            continue
        fn = node.func
        name = fn.attr if isinstance(fn, ast.Attribute) else fn.id if isinstance(fn, ast.Name) else None
        if name not in _FILTERS:
            continue
        args = dict(zip(_FILTERS[name], node.args, strict=False))
        args.update({k.arg: k.value for k in node.keywords if k.arg})
        action = args.get("action")
        if not (isinstance(action, ast.Constant) and action.value == "ignore"):
            continue
        message = args.get("message")
        category = args.get("category")
        has_message = message is not None and not (isinstance(message, ast.Constant) and not message.value)
        has_category = category is not None and not (isinstance(category, ast.Name)
                                                      and category.id == "Warning")
        if not (has_message or has_category):
            found.append(f"line {node.lineno}: {ast.unparse(node)}")
    return found


def test_blanket_filter_detector_knows_the_forms():
    blanket = ['warnings.filterwarnings("ignore")', "warnings.simplefilter('ignore')",
               'from warnings import simplefilter\nsimplefilter("ignore", Warning)',
               'warnings.filterwarnings(action="ignore", message="")',
               '%matplotlib inline\nwarnings.filterwarnings("ignore")']
    targeted = ['warnings.filterwarnings("ignore", category=FutureWarning)',
                'warnings.filterwarnings("ignore", message=r".*lexicons.*")',
                'warnings.filterwarnings("ignore", ".*lexicons.*")',
                'warnings.simplefilter("ignore", DeprecationWarning)',
                'warnings.simplefilter("always")', 'warnings.filterwarnings("error")']
    assert all(len(_blanket_filters(c)) == 1 for c in blanket)
    assert not any(_blanket_filters(c) for c in targeted)


def test_runtime_phrase_pattern():
    for ok in ("**Runs in about 2 minutes** on a 2-core machine", "Runs in about 40 seconds.",
               "Runs in about 1.5 min", "**Runs in\nabout 5 minutes**"):
        assert RUNTIME.search(ok)
    for bad in ("Runs in about RUNTIME_MINUTES minutes", "Runs quickly", "Run time: short"):
        assert not RUNTIME.search(bad)


def test_there_are_notebooks():
    assert len(NOTEBOOKS) >= 5


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_no_blanket_warning_filter(path):
    found = {}
    for i, cell in enumerate(_cells(path)):
        if cell["cell_type"] == "code":
            hits = _blanket_filters(_source(cell))
            if hits:
                found[f"cell {i}"] = hits
    assert found == {}, (f"{path.name}: blanket warning filter(s) {found}; silence only a named warning "
                         "(category= or message=) with a comment saying why it is harmless")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_first_cell_says_what_it_asks_and_how_long_it_runs(path):
    first = _cells(path)[0]
    assert first["cell_type"] == "markdown", f"{path.name}: the first cell must be Markdown"
    text = _source(first)
    assert text.lstrip().startswith("# "), f"{path.name}: the first cell opens with a '# title'"
    assert RUNTIME.search(text), (f"{path.name}: the first cell must say how long the notebook runs, as "
                                  "'Runs in about <n> minutes' (or seconds)")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_plain_tqdm_only(path):
    code = "\n".join(_source(c) for c in _cells(path) if c["cell_type"] == "code")
    assert "tqdm.auto" not in code and "tqdm.notebook" not in code, f"{path.name}: use plain tqdm"
