"""Write environment.yml from requirements.txt (run by ``make lock``)."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def pinned_lines(path: Path) -> list[str]:
    lines = (ln.strip() for ln in path.read_text(encoding="utf-8").splitlines())
    return [ln for ln in lines if ln and not ln.startswith("#")]


def main() -> None:
    pins = pinned_lines(ROOT / "requirements.txt")
    body = [
        "# Conda users: `conda env create -f environment.yml`, then `pip install --no-deps -e .`",
        "# Generated from requirements.txt by `make lock`; tests/test_environment.py keeps them in sync.",
        "name: omotenashi-research",
        "channels:",
        "  - conda-forge",
        "dependencies:",
        "  - python=3.11",
        "  - pip",
        "  - pip:",
        *[f"      - {p}" for p in pins],
    ]
    (ROOT / "environment.yml").write_text("\n".join(body) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
