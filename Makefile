# The README's commands. Each target sets up what it needs on a fresh machine
# (Python 3.11 and pip): uv is installed when missing, then the locked environment.
SHELL := /bin/bash
STACK ?= dev
PYTHON ?= python3
UV := $(shell command -v uv 2>/dev/null || echo "$(PYTHON) -m uv")
VENV_STAMP := .venv/.synced

.PHONY: setup test lint format preview preview-all up destroy-guard verify policy-config clean

$(VENV_STAMP): pyproject.toml uv.lock
	@command -v uv >/dev/null 2>&1 || $(PYTHON) -m uv --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet --disable-pip-version-check uv
	$(UV) sync --frozen
	@touch $(VENV_STAMP)

setup: $(VENV_STAMP) ## install uv (if missing) and the locked environment

test: $(VENV_STAMP) ## run every test (program under mocks, policy pack over gRPC, tools)
	$(UV) run --frozen pytest -q

lint: $(VENV_STAMP) ## ruff lint + format check
	$(UV) run --frozen ruff check .
	$(UV) run --frozen ruff format --check .

format: $(VENV_STAMP)
	$(UV) run --frozen ruff format .
	$(UV) run --frozen ruff check --fix .

preview: $(VENV_STAMP) ## offline preview of STACK: both accounts' plan + policy pack verdicts, no cloud
	$(UV) run --frozen python -m tools.preview --stack $(STACK) $(ARGS)

preview-all: $(VENV_STAMP) ## offline preview of every stack in the repo
	@set -e; for f in Pulumi.*.yaml; do s=$${f#Pulumi.}; s=$${s%.yaml}; echo "== $$s"; $(UV) run --frozen python -m tools.preview --stack $$s; done

policy-config: $(VENV_STAMP) ## write the policy pack config of STACK to out/policy-config.$(STACK).json
	@mkdir -p out
	$(UV) run --frozen python -m tools.policy_config --stack $(STACK) --output out/policy-config.$(STACK).json
	@echo "wrote out/policy-config.$(STACK).json"

up: policy-config ## real deployment (needs the Pulumi CLI and credentials): pulumi up with the pack enforced
	pulumi up --stack $(STACK) --policy-pack policies --policy-pack-config out/policy-config.$(STACK).json

verify: $(VENV_STAMP) ## prove a deployed stack's cross-account copy end to end (needs AWS credentials)
	$(UV) run --frozen python -m tools.verify --stack $(STACK) --resource-arn "$(RESOURCE_ARN)" $(ARGS)

clean:
	rm -rf .venv out .pytest_cache .ruff_cache
