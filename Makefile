# Vigil's two commands: `make demo` and `make test`. Each sets up what it needs.
# Targets here are exactly what CI runs (.ci/run calls `make test`).

PYTHON ?= python3.11
VENV := .venv
UV := .tools/bin/uv
export UV_PYTHON := $(PYTHON)
export UV_PYTHON_DOWNLOADS := never
VERIFY_SECONDS ?= 60
export UV_PROJECT_ENVIRONMENT := $(VENV)
VENDOR := src/vigil/web/static/vendor
PYTEST_ARGS ?= -n 2 --dist loadfile

.PHONY: demo test setup assets chromium lint format typecheck bench serve clean audit-deps sbom verify

demo: setup assets ## Build a fresh demo database and serve it on localhost
	$(VENV)/bin/vigil demo

serve: setup assets ## Serve Vigil with the settings in the environment
	$(VENV)/bin/vigil serve

test: setup assets chromium lint ## Run the whole test suite (SQLite and PostgreSQL, browser tests)
	$(VENV)/bin/python -m pytest $(PYTEST_ARGS)

setup: $(VENV)/.synced

$(UV):
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet --disable-pip-version-check uv==0.13.9

$(VENV)/.synced: $(UV) uv.lock pyproject.toml
	$(UV) sync --frozen
	touch $@

assets: $(VENDOR)/.built

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

$(VENDOR)/.built: node_modules/.package-lock.json scripts/build_assets.py
	$(PYTHON) scripts/build_assets.py
	touch $@

chromium: ## Debian's Chromium for the browser tests (Playwright cannot download one here)
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" != "0" ]; then echo "Install Debian's chromium package (as root: apt-get install -y chromium)"; exit 1; fi; \
	  apt-get install -y chromium || (apt-get update && apt-get install -y chromium); \
	fi

lint: setup ## ruff (lint and format check), mypy and bandit
	$(VENV)/bin/ruff check src tests bench migrations scripts
	$(VENV)/bin/ruff format --check src tests bench migrations scripts
	$(VENV)/bin/mypy
	$(VENV)/bin/bandit --quiet --recursive src

sbom: setup ## CycloneDX software bill of materials of the locked dependencies (sbom.cdx.json)
	$(UV) export --frozen --no-hashes --no-emit-project --quiet --format requirements-txt > .sbom-requirements.txt
	$(VENV)/bin/cyclonedx-py requirements .sbom-requirements.txt --output-format JSON --output-file sbom.cdx.json
	@echo "SBOM written to sbom.cdx.json"

format: setup
	$(VENV)/bin/ruff format src tests bench migrations scripts
	$(VENV)/bin/ruff check --fix src tests bench migrations scripts

typecheck: setup
	$(VENV)/bin/mypy

bench: setup ## Benchmarks (figures, not pass/fail); see bench/README.md
	$(VENV)/bin/python -m bench.run

verify: setup ## Crash and load proofs (issue 7.8): SIGKILL tip harness and Locust surge, both databases; exit 1 on a goal missed
	$(VENV)/bin/python -m bench.sigkill_harness --backend both --seconds $(VERIFY_SECONDS)
	$(VENV)/bin/python -m bench.surge_bench --backend both --seconds $(VERIFY_SECONDS) --users 40

audit-deps: setup ## Known-vulnerability check; says plainly when it could not check
	$(UV) export --frozen --no-hashes --no-emit-project --quiet --format requirements-txt > .audit-requirements.txt
	@if $(UV) tool run pip-audit --strict --requirement .audit-requirements.txt; then \
	  echo "pip-audit: checked; no known vulnerabilities"; \
	else echo "pip-audit: NOT CHECKED (database unreachable) or vulnerabilities found: see above"; exit 1; fi

clean:
	rm -rf $(VENV) .tools node_modules $(VENDOR) .pytest_cache .mypy_cache .ruff_cache
