# The README's commands, for humans. Each target sets up what it needs on a fresh machine with
# Python 3.11-3.13 (python3, or PYTHON=...), without touching that Python:
#   - uv: the one on PATH, else `$(PYTHON) -m uv` if that Python has it, else uv==$(UV_VERSION)
#     installed into a private virtualenv under the repo, .tools/ (PEP 668 Pythons such as
#     Debian's /usr/bin/python3 or Homebrew's refuse a pip install into themselves);
#   - the locked environment in .venv (`uv sync --frozen` from uv.lock), on $(PYTHON) unless
#     UV_PYTHON says otherwise (CI's setup-uv sets it).
# make exits 2 whenever a recipe fails, whatever the tool's own exit code was: scripts that need
# the tool's code (preview 0/1/2, verify 0-13) call `./run TOOL ...` instead (see README).
SHELL := /bin/bash
MAKEFLAGS += --no-print-directory
STACK ?= dev
PYTHON ?= python3
UV_VERSION := 0.13.9
TOOLS := .tools
export UV_PYTHON ?= $(PYTHON)
UV := $(shell command -v uv 2>/dev/null || { $(PYTHON) -m uv --version >/dev/null 2>&1 && echo "$(PYTHON) -m uv"; } || echo "$(TOOLS)/bin/uv")
RUN := $(UV) run --frozen python -m
VENV_STAMP := .venv/.synced

.PHONY: help setup test lint lint-workflows typecheck format preview preview-all up verify policy-config mutation bench clean uv-command

help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/^([a-z-]+):.*## /\1\t/; s/[$$][(]STACK[)]/<STACK>/g' | \
		awk -F'\t' '{printf "  make %-14s %s\n", $$1, $$2}'
	@echo "  variables: STACK=$(STACK) (a Pulumi.<stack>.yaml), ARGS=... (passed to the tool), PYTHON=$(PYTHON)"

$(TOOLS)/bin/uv:
	@echo "uv not found: installing uv==$(UV_VERSION) into $(TOOLS)/, a virtualenv of $(PYTHON) (your Python itself is not changed)" >&2
	@$(PYTHON) -m venv $(TOOLS) >&2 || { echo "error: '$(PYTHON) -m venv' failed; on Debian/Ubuntu: apt-get install python3-venv, or install uv (https://docs.astral.sh/uv/)" >&2; exit 1; }
	@$(TOOLS)/bin/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION) >&2

$(VENV_STAMP): pyproject.toml uv.lock $(filter $(TOOLS)/bin/uv,$(UV))
	@$(UV) sync --frozen >&2
	@touch $(VENV_STAMP)

setup: $(VENV_STAMP) ## install uv (if missing, into .tools/) and the locked environment (.venv/)

uv-command: ## print the uv command the targets use (for ./run)
	@echo "$(UV)"

test: $(VENV_STAMP) ## run every test (program under mocks, policy pack over gRPC, tools)
	$(UV) run --frozen pytest -q

lint: lint-workflows typecheck ## ruff lint + format check, zizmor on the CI workflow, mypy
	$(UV) run --frozen ruff check .
	$(UV) run --frozen ruff format --check .

lint-workflows: $(VENV_STAMP) ## zizmor, offline (no GitHub API calls), on .github/workflows
	$(UV) run --frozen zizmor --offline --no-progress .github/workflows

# [tool.mypy] in pyproject.toml names the files; the pack's __main__.py is a second `__main__`
# module beside the program's, so it is checked on its own.
typecheck: $(VENV_STAMP) ## mypy (pyproject.toml): program, components, tools, pack
	$(UV) run --frozen mypy
	$(UV) run --frozen mypy policies/__main__.py

format: $(VENV_STAMP) ## ruff format + autofix
	$(UV) run --frozen ruff format .
	$(UV) run --frozen ruff check --fix .

# `@`: stdout is the tool's alone, so `make preview ARGS=--json | jq` reads JSON.
preview: $(VENV_STAMP) ## offline preview of STACK: both accounts' plan + policy pack verdicts, no cloud
	@$(RUN) tools.preview --stack $(STACK) $(ARGS)

preview-all: $(VENV_STAMP) ## offline preview of every stack; fails at the end if any failed
	@failed=""; for f in Pulumi.*.yaml; do s=$${f#Pulumi.}; s=$${s%.yaml}; echo "== $$s"; \
		$(RUN) tools.preview --stack $$s $(ARGS) || failed="$$failed $$s"; done; \
	if [ -n "$$failed" ]; then echo "preview failed for:$$failed" >&2; exit 1; fi

bench: $(VENV_STAMP) ## offline preview of generated stacks with 1-200 sources: resources, time, pack time, memory (minutes; not in CI)
	@$(UV) run --frozen python bench/preview_scale.py $(ARGS)

policy-config: $(VENV_STAMP) ## write the policy pack config of STACK to out/policy-config.$(STACK).json
	@mkdir -p out
	$(UV) run --frozen python -m tools.stack.policy_config --stack $(STACK) --output out/policy-config.$(STACK).json
	@echo "wrote out/policy-config.$(STACK).json"

up: ## real deployment (needs the Pulumi CLI and credentials): pulumi up with the pack enforced
	@command -v pulumi >/dev/null 2>&1 || { echo "error: 'make up' needs the Pulumi CLI (pulumi) on PATH: install it (https://www.pulumi.com/docs/install/), then 'pulumi login'" >&2; exit 1; }
	@$(MAKE) policy-config STACK=$(STACK)
	pulumi up --stack $(STACK) --policy-pack policies --policy-pack-config out/policy-config.$(STACK).json

verify: $(VENV_STAMP) ## prove a deployed stack's cross-account copy end to end (needs AWS credentials)
	@$(RUN) tools.verify --stack $(STACK) --resource-arn "$(RESOURCE_ARN)" $(ARGS)

# Not in CI: tens of minutes on two cores (docs/testing.md). The mutation group (mutmut) is
# installed on first use only; `make mutation ARGS="run backup_guard.iam*"` narrows the run,
# `make mutation ARGS=results` lists the survivors, `ARGS="show NAME"` shows one.
mutation: $(VENV_STAMP) ## mutation testing (mutmut) of the pack, config and documents; see docs/testing.md
	nice -n 15 $(UV) run --frozen --group mutation python -m tools.mutation $(ARGS)

clean: ## remove the environments (.venv, .tools) and outputs
	rm -rf .venv $(TOOLS) .pytest_cache .ruff_cache
	find out -mindepth 1 ! -name .gitkeep -delete 2>/dev/null || true
