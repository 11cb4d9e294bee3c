# Two commands do everything on a fresh clone:
#   make notebooks   create .venv, install, execute every notebook headless (in place, outputs kept)
#   make test        the same set-up, then pytest (unit tests + nbval over notebooks/)
# Corpora are read from $OMOTENASHI_DATA (see README); without it corpus tests are skipped.
# Expected times on a 2-core machine (rough): first set-up 5-10 min (download + install); make notebooks
# 5-10 min offline (sample notebooks only), about twice that with the corpora; make test 10-20 min.

PYTHON ?= python3.11
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
PYTEST_ARGS ?=

# Resolve OMOTENASHI_DATA to absolute paths once (each ':'-separated entry), so that a relative value
# such as ../shared/corpora still names the same folder inside notebook kernels, which run in notebooks/.
empty :=
space := $(empty) $(empty)
ifneq ($(strip $(OMOTENASHI_DATA)),)
override OMOTENASHI_DATA := $(subst $(space),:,$(abspath $(subst :, ,$(OMOTENASHI_DATA))))
export OMOTENASHI_DATA
endif

.PHONY: setup corpora notebooks findings test lab lint lock benchmarks validation models clean

$(STAMP): requirements.txt pyproject.toml
	@echo "setup: creating $(VENV) with $(PYTHON) ..."
	$(PYTHON) -m venv $(VENV)
	@echo "setup: installing the pinned requirements into $(VENV) (first time: 5-10 minutes, ~2 GB) ..."
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24"
	# --no-compile: byte-compiling all ~2 GB at install takes ~1.5 min; Python compiles what is imported
	$(BIN)/python -m pip install --quiet --no-compile -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	$(BIN)/python -m spacy validate >/dev/null 2>&1 || true
	touch $(STAMP)
	@echo "setup: done"

setup: $(STAMP)

# Without OMOTENASHI_DATA, download the corpora (pinned commits, sha256-checked) into the user cache;
# files already there are not downloaded again.
corpora: setup
ifeq ($(strip $(OMOTENASHI_DATA)),)
	$(BIN)/python -m omotenashi_research.datasets.fetch
endif

# Sample-data notebooks always run (offline too). Corpus notebooks run when their corpora are found
# (fetched first when OMOTENASHI_DATA is unset); otherwise one line each says what was skipped and how
# to get the data. The list of which notebook needs which corpus: omotenashi_research/notebooks_runner.py.
notebooks: setup
	$(BIN)/python -m omotenashi_research.notebooks_runner --fetch notebooks/*.ipynb
	$(MAKE) --no-print-directory findings

# Render the research notebooks' headline results (docs/findings/*.csv, written by the notebooks) into
# docs/findings.md; `make notebooks` ends with it.
findings: setup
	$(BIN)/python -m omotenashi_research.findings

test: setup
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# JupyterLab refuses to start as root unless told; containers and CI boxes often run as root.
lab: setup
	$(BIN)/jupyter lab $(if $(filter 0,$(shell id -u)),--allow-root,) notebooks/

lint: setup
	$(BIN)/ruff check omotenashi_research tests benchmarks

# Every results file under benchmarks/results/ is written by its script (see benchmarks/README.md).
benchmarks: setup
	$(BIN)/python benchmarks/bench_features.py --out benchmarks/results/bench_features.md
	$(BIN)/python benchmarks/coverage_study.py
	$(BIN)/python benchmarks/bench_decode.py
	$(BIN)/python benchmarks/bench_dask.py
	$(BIN)/python benchmarks/bench_cli.py --out benchmarks/results/bench_cli.md

validation: setup
	$(BIN)/python -m omotenashi_research.validation --out docs/validation.md

# Retrain the shipped construct models on the gold set's train split (needs the corpora), then
# regenerate the validation report, which scores the held-out test split once.
models: setup
	$(BIN)/python -m omotenashi_research.gold train

# Re-pin after changing dependencies: the lock, then environment.yml from it.
lock: setup
	{ echo "# Full pinned lock of every package the project installs (runtime + tests + notebooks)."; \
	  echo "# Regenerate: make lock   (environment.yml mirrors this file; tests/test_environment.py checks)."; \
	  $(BIN)/python -m pip freeze --exclude-editable | sort -f; } > requirements.txt
	$(BIN)/python tests/_write_environment.py

clean:
	rm -rf $(VENV)
