# pexaudit: one entry point for the dev loop. `make help` lists the targets.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# An audit of public money sends nothing anywhere.
export GX_ANALYTICS_ENABLED := False

.DEFAULT_GOAL := help
.PHONY: help install apps demo test test-fast lab lint format bench profile bench-big sample docs clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  make %-10s %s\n", $$1, $$2}'

install: $(STAMP) ## create .venv with the pinned set (requirements.lock) and pexaudit itself

$(STAMP): requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24"
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	mkdir -p reports
	touch $@

apps: ## install Debian's chromium (browser test, --pdf), LibreOffice Calc and Writer and Carlito (Calibri's metrics: the workbook prints as in Excel) when missing
	@command -v chromium >/dev/null 2>&1 && command -v soffice >/dev/null 2>&1 \
	  && ls /usr/lib/libreoffice/program/libswlo.so >/dev/null 2>&1 \
	  && ls /usr/share/fonts/truetype/crosextra/Carlito-Regular.ttf >/dev/null 2>&1 || { \
	  SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  echo "installing Debian's chromium and LibreOffice Calc and Writer for the browser, workbook and letter tests"; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq \
	    --no-install-recommends chromium libreoffice-calc-nogui libreoffice-writer-nogui fonts-dejavu-core \
	    fonts-crosextra-carlito >/dev/null; }

demo: $(STAMP) ## audit the bundled sample into reports/ and print the settlement
	$(BIN)/pexaudit demo

test: $(STAMP) apps ## run the whole test suite (notebook, browser and property tests included)
	$(BIN)/python -m pytest -q

test-fast: $(STAMP) ## the tests that need no kernel and no browser, on both cores (pytest-xdist)
	PEXAUDIT_EXAMPLES=4 $(BIN)/python -m pytest -q -m "not slow" -n 2

lab: $(STAMP) ## open JupyterLab on the repository, in French (no update check, no news pop-up, no PyPI)
	mkdir -p $(VENV)/share/jupyter/lab/settings
	cp scripts/jupyterlab-overrides.json $(VENV)/share/jupyter/lab/settings/overrides.json
	$(BIN)/jupyter lab --notebook-dir=. --ServerApp.open_browser=False \
	  --LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate --LabApp.news_url=None \
	  --LabApp.extension_manager=readonly $$([ "$$(id -u)" = 0 ] && echo --allow-root)

lint: $(STAMP) ## ruff lint and format check
	$(BIN)/ruff check pexaudit tests benchmarks scripts
	$(BIN)/ruff format --check pexaudit tests benchmarks scripts

format: $(STAMP) ## ruff format and autofix
	$(BIN)/ruff check --fix pexaudit tests benchmarks scripts
	$(BIN)/ruff format pexaudit tests benchmarks scripts

bench: $(STAMP) ## print the three speed ratios: a cold audit and a batch (bench.py), a million-line FEC (fec_audit.py)
	@$(BIN)/python benchmarks/bench.py; a=$$?; $(BIN)/python benchmarks/fec_audit.py; b=$$?; exit $$((a || b))

profile: $(STAMP) ## where the time goes: cProfile of a million-line FEC, cold-start imports and cells, a warm batch worker
	$(BIN)/python benchmarks/profile_audit.py

bench-big: $(STAMP) ## audit a ledger at Excel's row limit: time and peak memory (about 5 min)
	$(BIN)/python benchmarks/big_workbook.py

sample: $(STAMP) ## regenerate the bundled sample workbooks (data/conventions/cd35-2024 and cd35-2024-definitif)
	$(BIN)/python scripts/make_sample.py

docs: $(STAMP) ## regenerate the guide's reference tables and docs/convention.schema.json from the code
	$(BIN)/python -m pexaudit.docs

clean: ## remove generated reports and caches (keeps .venv)
	rm -rf reports/*/ reports/.*.partial .pytest_cache .ruff_cache .hypothesis
