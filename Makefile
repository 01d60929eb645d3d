# Kairos — every command sets itself up on a fresh machine (Python, Node.js, make).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed
NODE_INSTALLED := node_modules/.installed
# The console (console/, docs/console.md): its npm install and its build, redone only when
# its lock file or its sources change.
CONSOLE_INSTALLED := console/node_modules/.installed
CONSOLE_BUILT := console/dist/.built
CONSOLE_SOURCES := $(shell find console/src console/scripts -type f 2>/dev/null) \
	console/index.html console/vite.config.ts console/tsconfig.json console/package.json
export JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION := 1
PROJECT ?= examples
CDK_CONTEXT ?=
# The lock files (docs/deploy.md "Dependencies"): every version pinned, every file hashed.
DEV_LOCK := requirements/dev.txt
LAYER_LOCK := requirements/layer.txt
PIP := $(PY) -m pip --quiet --disable-pip-version-check
UV_COMPILE = $(VENV)/bin/uv pip compile pyproject.toml --quiet --generate-hashes \
	--custom-compile-command "make lock" $(UV_FLAGS)
# The stage named in CDK_CONTEXT (cdk.json's default is dev).
STAGE = $(or $(patsubst kairos:stage=%,%,$(filter kairos:stage=%,$(CDK_CONTEXT))),dev)
# cdk asks before deploying any change, except to dev: REQUIRE_APPROVAL=never (or
# broadening) overrides it, e.g. for a pipeline that reviewed the diff already.
REQUIRE_APPROVAL ?= $(if $(filter dev,$(STAGE)),never,any-change)

.PHONY: install console-build demo local test test-unit test-integration test-infra test-e2e lint synth deploy bench clean lock update-deps

# The dev install (and CI's, which runs `make test`): exactly the locked versions.
$(INSTALLED): pyproject.toml $(DEV_LOCK)
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --upgrade pip
	$(PIP) install --require-hashes -r $(DEV_LOCK)
	$(PIP) install --no-deps -e .
	touch $@

$(NODE_INSTALLED): package.json
	npm install --no-audit --no-fund --loglevel=error
	touch $@

install: $(INSTALLED) $(NODE_INSTALLED)

$(CONSOLE_INSTALLED): console/package.json console/package-lock.json
	cd console && npm ci --no-audit --no-fund --loglevel=error
	touch $@

$(CONSOLE_BUILT): $(CONSOLE_INSTALLED) $(CONSOLE_SOURCES)
	cd console && npm run --silent types:check && npm run build
	touch $@

## The console's files in console/dist (served by kairos local, deployed by the stack).
console-build: $(CONSOLE_BUILT)

## The main job, locally on the embedded AWS emulator.
demo: $(INSTALLED)
	$(VENV)/bin/kairos demo $(PROJECT)

## The pipeline in real time on 127.0.0.1:3000.
local: $(INSTALLED)
	$(VENV)/bin/kairos local $(PROJECT)

## The back office over the example brand's simulated year (docs/console.md).
.PHONY: console
console: $(INSTALLED) console-build
	$(VENV)/bin/kairos local $(PROJECT) --backend memory --simulate-until 2026-12-31

## Every test tier (pytest's "no tests ran" exit 5 fails like any other failure).
test: $(INSTALLED) $(NODE_INSTALLED) $(CONSOLE_BUILT)
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

# Both ship the built console (console/dist): it is built first, never during synth.
synth: $(INSTALLED) $(NODE_INSTALLED) console-build
	npx cdk synth --quiet $(CDK_CONTEXT)

## make deploy CDK_CONTEXT="-c kairos:brand=yuemeng -c kairos:stage=prod ..." (docs/deploy.md)
deploy: $(INSTALLED) $(NODE_INSTALLED) console-build
	npx cdk deploy --require-approval $(REQUIRE_APPROVAL) $(CDK_CONTEXT)

## After changing dependencies in pyproject.toml: pin them again (other pins are kept).
## The layer's are resolved for Lambda (Python 3.13, arm64) within the dev pins.
lock: $(INSTALLED)
	$(UV_COMPILE) --extra cli --extra dev --universal --python-version 3.11 -o $(DEV_LOCK)
	$(UV_COMPILE) --python-version 3.13 --python-platform aarch64-manylinux2014 \
		--no-emit-package boto3 --no-emit-package botocore --no-emit-package s3transfer \
		-c $(DEV_LOCK) -o $(LAYER_LOCK)

## Every dependency to its newest allowed release; review the diff, then make test.
update-deps:
	$(MAKE) lock UV_FLAGS=--upgrade

bench: $(INSTALLED)
	$(PY) -m bench.run

clean:
	rm -rf $(VENV) node_modules cdk.out build .kairos .pytest_cache .mypy_cache .ruff_cache \
		console/node_modules console/dist
