# Two commands: `make run` starts the app, `make test` runs the whole test suite.
# Both create .venv when it is missing and reinstall only when a requirements file changed.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: run test lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed: $(BIN)/python requirements.txt pyproject.toml
	$(BIN)/pip install -q -r requirements.txt
	$(BIN)/pip install -q --no-deps -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $@

# Streamlit reads its own settings from the environment (STREAMLIT_SERVER_PORT, ...): no port is forced here.
run: $(VENV)/.installed
	$(BIN)/python serve.py

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
