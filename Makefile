# Two commands do everything on a fresh clone:
#   make notebooks   create .venv, install, execute every notebook headless (in place, outputs kept)
#   make test        the same set-up, then pytest (unit tests + nbval over notebooks/)
# Corpora are read from $OMOTENASHI_DATA (see README); without it corpus tests are skipped.

PYTHON ?= python3.11
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
PYTEST_ARGS ?=

.PHONY: setup corpora notebooks test lab lint lock benchmarks validation clean

$(STAMP): requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24"
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	$(BIN)/python -m spacy validate >/dev/null 2>&1 || true
	touch $(STAMP)

setup: $(STAMP)

# Without OMOTENASHI_DATA, download the corpora (pinned commits, sha256-checked) into the user cache;
# files already there are not downloaded again.
corpora: setup
ifeq ($(strip $(OMOTENASHI_DATA)),)
	$(BIN)/python -m omotenashi_research.datasets.fetch
endif

notebooks: setup corpora
	$(BIN)/jupyter nbconvert --to notebook --execute --inplace \
	  --ExecutePreprocessor.timeout=1800 --ExecutePreprocessor.kernel_name=python3 \
	  --ExecutePreprocessor.record_timing=False notebooks/*.ipynb

test: setup
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# JupyterLab refuses to start as root unless told; containers and CI boxes often run as root.
lab: setup
	$(BIN)/jupyter lab $(if $(filter 0,$(shell id -u)),--allow-root,) notebooks/

lint: setup
	$(BIN)/ruff check omotenashi_research tests benchmarks

benchmarks: setup
	$(BIN)/python benchmarks/bench_markers.py
	$(BIN)/python benchmarks/coverage_study.py

validation: setup
	$(BIN)/python -m omotenashi_research.validation --out docs/validation.md

# Re-pin after changing dependencies: the lock, then environment.yml from it.
lock: setup
	{ echo "# Full pinned lock of every package the project installs (runtime + tests + notebooks)."; \
	  echo "# Regenerate: make lock   (environment.yml mirrors this file; tests/test_environment.py checks)."; \
	  $(BIN)/python -m pip freeze --exclude-editable | sort -f; } > requirements.txt
	$(BIN)/python tests/_write_environment.py

clean:
	rm -rf $(VENV)
