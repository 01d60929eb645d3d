# Kairos — every command sets itself up on a fresh machine (Python, Node.js, make).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed
NODE_INSTALLED := node_modules/.installed
export JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION := 1
PROJECT ?= examples
CDK_CONTEXT ?=

.PHONY: install demo local test test-unit test-integration test-infra test-e2e lint synth deploy bench clean

$(INSTALLED): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[cli,dev]'
	touch $@

$(NODE_INSTALLED): package.json
	npm install --no-audit --no-fund --loglevel=error
	touch $@

install: $(INSTALLED) $(NODE_INSTALLED)

## The main job, locally on the embedded AWS emulator.
demo: $(INSTALLED)
	$(VENV)/bin/kairos demo $(PROJECT)

## The pipeline in real time on 127.0.0.1:3000.
local: $(INSTALLED)
	$(VENV)/bin/kairos local $(PROJECT)

## Every test tier (pytest's "no tests ran" exit 5 fails like any other failure).
test: $(INSTALLED) $(NODE_INSTALLED)
	$(PY) -m pytest -n 2 --dist loadfile -p no:cacheprovider

test-unit: $(INSTALLED)
	$(PY) -m pytest tests/unit

test-integration: $(INSTALLED)
	$(PY) -m pytest -n 2 --dist loadfile tests/integration

test-infra: $(INSTALLED) $(NODE_INSTALLED)
	$(PY) -m pytest tests/infra

test-e2e: $(INSTALLED)
	$(PY) -m pytest tests/e2e

lint: $(INSTALLED)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy layers devtools infra bench
	# Each function's handler is a module named `handler`: check them one at a time.
	for fn in functions/*/handler.py; do $(VENV)/bin/mypy $$fn || exit 1; done

synth: $(INSTALLED) $(NODE_INSTALLED)
	npx cdk synth --quiet $(CDK_CONTEXT)

## make deploy CDK_CONTEXT="-c kairos:brand=yuemeng -c kairos:stage=prod ..." (docs/deploy.md)
deploy: $(INSTALLED) $(NODE_INSTALLED)
	npx cdk deploy --require-approval never $(CDK_CONTEXT)

bench: $(INSTALLED)
	$(PY) -m bench.run

clean:
	rm -rf $(VENV) node_modules cdk.out build .kairos .pytest_cache .mypy_cache .ruff_cache
