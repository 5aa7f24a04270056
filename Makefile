# Two entry points for a fresh machine:  `make demo`  and  `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: demo test install bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev,spark,postgres]"
	touch $(STAMP)

install: $(STAMP)

## the main job on embedded defaults (DuckDB, local MLflow on SQLite, files under ./upsell-demo)
demo: $(STAMP)
	$(BIN)/upsell demo

## the whole test suite, slow tests included
test: $(STAMP)
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) upsell-demo .pytest_cache
