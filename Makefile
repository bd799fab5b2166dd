# Receipts — set-up, demo, tests. Every target is idempotent and fast when already done.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: setup demo test bench lint system-deps clean

setup: system-deps $(STAMP)
	@echo "ready: $(BIN)/receipts"

system-deps:
	@bash scripts/install-system-deps.sh

# the product (editable, with test extras) and the dev-only fake web package (fakeweb/, not in `pip install .`)
$(STAMP): pyproject.toml fakeweb/pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is required")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -e '.[test]' -e ./fakeweb
	@touch $(STAMP)

# `make demo SERVE=1` then serves the web UI on the demo archive and ends with "open http://127.0.0.1:PORT/articles/…"
demo: setup
	$(BIN)/receipts demo $(if $(SERVE),--serve)

test: setup
	$(BIN)/pytest -q

bench: setup
	$(BIN)/python -m bench

lint: setup
	$(BIN)/ruff check receipts crawlers pipelines scheduler tests bench fakeweb
	$(BIN)/lint-imports  # imports run one way (.importlinter); tests/test_layers.py runs it under make test too

clean:
	rm -rf $(VENV) var .pytest_cache
