# sfm-graphql: the one entry point for setting up, running, testing and linting.
# Services (Neo4j, Redis) are real local processes under .local/, started by
# tools/neo4j/neo4j.sh and tools/redis/redis.sh; see tools/README.md.

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

# Which local services the service targets act on: dev (Neo4j 7687, Redis 6379),
# test (7688, 6380) or bench (7689, 6381). run always uses dev, test always uses
# test, bench always uses bench (it wipes its graph; the tests wipe theirs).
INSTANCE ?= dev
# Extra arguments for pytest and bench/run.py, e.g. PYTEST_ARGS="-x -k schema".
PYTEST_ARGS ?=
BENCH_ARGS ?=
BENCH_LOAD_ARGS ?=
# Where make run serves the app.
APP_HOST ?= 127.0.0.1
APP_PORT ?= 8000
# The Neo4j of the peer in make bench-peer (tools/neo4j/neo4j.sh instance `peer`).
PEER_NEO4J_PORT ?= 7691

NEO4J := tools/neo4j/neo4j.sh
REDIS := tools/redis/redis.sh
BIN := .venv/bin
E2E_BROWSER := tests/e2e/browser
# npm projects of the end-to-end tests: the GraphiQL browser check and the JS GraphQL clients.
E2E_NPM := $(E2E_BROWSER) tests/e2e/clients

# Loads the service settings of instance $(1) into the recipe's shell. Assign
# first, then eval: a failing tools/env.sh then stops the recipe.
load_env = env_lines=$$(tools/env.sh $(1)); eval "$$env_lines"

# Starts the services of instance $(1). NEO4J_URI in the environment means an
# external Neo4j (tools/env.sh passes it on), so the local one is not started.
define start_services
@if [[ -n "$${NEO4J_URI:-}" ]]; then \
	echo "NEO4J_URI is set: using $$NEO4J_URI, not starting the local Neo4j"; \
else \
	$(NEO4J) start $(1); \
fi
@$(REDIS) start $(1)
endef

.PHONY: help venv neo4j-start neo4j-stop neo4j-status redis-start redis-stop \
	services services-stop run test lint schema docs bench bench-peer bench-versions bench-analytics clean-local promtool audit-deps

help: ## list the targets
	@echo "usage: make TARGET [INSTANCE=dev|test|bench] [PYTEST_ARGS=...]"
	@awk 'BEGIN {FS = ":.*## "} /^[a-z][a-z0-9-]*:.*## / {printf "  %-14s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

venv: ## create or update .venv from uv.lock (installs uv with pip if missing)
	@if command -v uv >/dev/null 2>&1; then uv=uv; \
	elif python3 -m uv --version >/dev/null 2>&1; then uv="python3 -m uv"; \
	else \
		echo "uv not found: installing it with pip"; \
		python3 -m pip install --quiet uv || python3 -m pip install --quiet --break-system-packages uv; \
		uv="python3 -m uv"; \
	fi; \
	$$uv sync --frozen

neo4j-start: ## start Neo4j for INSTANCE and wait until Bolt answers
	@$(NEO4J) start $(INSTANCE)

neo4j-stop: ## stop Neo4j for INSTANCE
	@$(NEO4J) stop $(INSTANCE)

neo4j-status: ## tell whether Neo4j for INSTANCE runs (exit status 0 if it does)
	@$(NEO4J) status $(INSTANCE)

redis-start: ## start Redis for INSTANCE and wait for PONG
	@$(REDIS) start $(INSTANCE)

redis-stop: ## stop Redis for INSTANCE
	@$(REDIS) stop $(INSTANCE)

services: ## start Neo4j and Redis for INSTANCE
	$(call start_services,$(INSTANCE))

services-stop: ## stop Neo4j and Redis for INSTANCE
	@$(NEO4J) stop $(INSTANCE)
	@$(REDIS) stop $(INSTANCE)

run: venv ## dev services, migrate, seed demo data if empty, serve on http://127.0.0.1:8000 with a job worker
	$(call start_services,dev)
	@$(call load_env,dev); \
	export SFM_GRAPHIQL=true; \
	$(BIN)/sfm-graphql migrate; \
	$(BIN)/sfm-graphql seed-demo --if-empty; \
	admin_token=$$($(BIN)/sfm-graphql token --role admin --ttl 1h --subject "dev:$${USER:-developer}"); \
	echo "GraphiQL needs a token: paste this into its Headers tab (admin, valid 1 h; more: $(BIN)/sfm-graphql token --role admin)"; \
	echo "{\"Authorization\": \"Bearer $$admin_token\"}"; \
	metrics_env=$$(tools/dev-metrics-token.sh .local/metrics-token); eval "$$metrics_env"; \
	echo "Prometheus metrics (scrape token in $$SFM_METRICS_TOKEN_FILE):"; \
	echo "  curl -H \"Authorization: Bearer \$$(cat $$SFM_METRICS_TOKEN_FILE)\" http://$(APP_HOST):$(APP_PORT)/metrics"; \
	echo "Analysis jobs (startAnalysis): an sfm-graphql worker runs beside the service"; \
	$(BIN)/sfm-graphql worker & worker_pid=$$!; \
	trap 'kill $$worker_pid 2>/dev/null; wait $$worker_pid 2>/dev/null' EXIT; \
	$(BIN)/sfm-graphql serve --host $(APP_HOST) --port $(APP_PORT)

test: venv promtool ## test services, browser deps, then pytest with coverage (PYTEST_ARGS passed on)
	$(call start_services,test)
	@# End-to-end tests bring their own npm packages (from their lock files), never
	@# a browser download: the browser is Debian's chromium.
	@for dir in $(E2E_NPM); do \
		[[ -f $$dir/package.json ]] || continue; \
		( cd $$dir; \
		  export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 PUPPETEER_SKIP_DOWNLOAD=1; \
		  if [[ -f package-lock.json ]]; then npm ci --no-audit --no-fund; \
		  else npm install --no-audit --no-fund; fi ); \
	done
	@[[ -x /usr/bin/chromium ]] || tools/apt-install.sh chromium
	@# The line coverage of sfm_graphql/ is measured on every run. Under CI=true pytest-cov
	@# prints it in pytest's report and fails the run below the floor in .ci/coverage-floor
	@# (docs/decisions.md, Coverage floor); otherwise it is printed after the report.
	@$(call load_env,test); \
	cov_args=(--cov --cov-report=); \
	if [[ "$${CI:-}" == true ]]; then cov_args+=(--cov-fail-under="$$(cat .ci/coverage-floor)"); fi; \
	rc=0; $(BIN)/pytest "$${cov_args[@]}" $(PYTEST_ARGS) || rc=$$?; \
	if [[ "$${CI:-}" != true ]]; then \
		echo "coverage of sfm_graphql/: $$($(BIN)/coverage report --format=total)% of lines"; \
	fi; \
	if [[ $$rc -ne 0 ]]; then echo "pytest exited with status $$rc" >&2; fi; \
	exit $$rc

lint: venv promtool ## ruff, mypy, generated schema and docs up to date, deploy checks, pip-audit, promtool
	@# Every check runs, so one CI run reports all problems; any failure fails.
	@rc=0; \
	echo "== ruff check"; $(BIN)/ruff check . || rc=1; \
	echo "== ruff format --check"; $(BIN)/ruff format --check . || rc=1; \
	echo "== mypy"; $(BIN)/mypy || rc=1; \
	echo "== export-schema --check"; \
	$(BIN)/sfm-graphql export-schema --check schema/schema.graphql || rc=1; \
	echo "== export-error-codes --check"; \
	$(BIN)/sfm-graphql export-error-codes --check docs/api.md || rc=1; \
	echo "== export-config-docs --check"; \
	$(BIN)/sfm-graphql export-config-docs --check docs/operations/configuration.md || rc=1; \
	tools/check-deploy.sh || rc=1; \
	echo "== pip-audit (locked runtime dependencies)"; $(BIN)/python tools/audit_deps.py || rc=1; \
	echo "== promtool check rules"; promtool check rules deploy/prometheus/alerts.yml || rc=1; \
	echo "== promtool test rules"; promtool test rules deploy/prometheus/alerts_test.yml || rc=1; \
	exit $$rc

audit-deps: venv ## scan the locked runtime dependencies for known vulnerabilities (pip-audit)
	$(BIN)/python tools/audit_deps.py

promtool: ## install promtool (Debian's prometheus package) when it is missing
	@command -v promtool >/dev/null 2>&1 || tools/apt-install.sh --no-install-recommends prometheus

schema: venv ## write the GraphQL schema to schema/schema.graphql
	$(BIN)/sfm-graphql export-schema schema/schema.graphql

docs: venv ## regenerate the generated parts of docs/ (error codes in api.md, operations/configuration.md)
	$(BIN)/sfm-graphql export-error-codes docs/api.md
	$(BIN)/sfm-graphql export-config-docs docs/operations/configuration.md

bench: venv ## run bench/run.py against the bench services (BENCH_ARGS passed on)
	$(call start_services,bench)
	@$(call load_env,bench); \
	$(BIN)/python bench/run.py $(BENCH_ARGS)

bench-peer: venv ## sfm-graphql against the Neo4j GraphQL Library with hey (bench/peer_bench.py; BENCH_ARGS)
	$(call start_services,bench)
	@SFM_NEO4J_PORT=$(PEER_NEO4J_PORT) $(NEO4J) start peer
	@tools/install-hey.sh >/dev/null
	@cd bench/peer && npm ci --no-audit --no-fund --silent
	@$(call load_env,bench); \
	export PEER_NEO4J_URI=$$(SFM_NEO4J_PORT=$(PEER_NEO4J_PORT) $(NEO4J) uri peer); \
	export PEER_NEO4J_PASSWORD=$$($(NEO4J) password peer); \
	$(BIN)/python bench/peer_bench.py $(BENCH_ARGS)
bench-versions: venv ## this checkout against git revision BASE on one graph, interleaved (bench/versions.py; BENCH_ARGS)
	@test -n "$(BASE)" || { echo "usage: make bench-versions BASE=<git revision>"; exit 2; }
	$(call start_services,bench)
	@$(call load_env,bench); \
	$(BIN)/python bench/versions.py --base $(BASE) $(BENCH_ARGS)

bench-analytics: venv ## the analytics through the service at the seed's tiers (bench/analytics.py; BENCH_ARGS)
	$(call start_services,bench)
	@$(call load_env,bench); \
	$(BIN)/python bench/analytics.py $(BENCH_ARGS)

bench-load: venv ## locust's mixed load on the bench services, per operation figures (BENCH_LOAD_ARGS passed on)
	$(call start_services,bench)
	@$(call load_env,bench); \
	$(BIN)/python bench/load/run.py $(BENCH_LOAD_ARGS)

clean-local: ## stop all local services and delete .local/
	@for i in dev test bench outage; do \
		$(NEO4J) stop $$i || true; \
		$(REDIS) stop $$i || true; \
	done
	@$(NEO4J) stop peer || true
	rm -rf .local
