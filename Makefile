# Zhitong (直通) — closed-loop direct approval of construction projects.
# `make run` and `make test` do all the set-up on a fresh Debian machine with Python 3.11.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat requirements.lock 2>/dev/null | md5sum | cut -c1-12)
PROTOS := $(shell find proto -name '*.proto')
GEN_STAMP := gen/.stamp
RUN_ENV := config/run.env
WEB_SOURCES := web/package.json web/index.html web/vite.config.js $(shell find web/src web/public -type f 2>/dev/null)
WEB_DEPS := web/node_modules/.installed
WEB_STAMP := web/dist/.built

.DEFAULT_GOAL := help
.PHONY: help setup proto web screen-token run demo bench k8s-check test test-unit test-integration test-e2e test-browser screenshots lint migrate migration lock clean

help: ## List the targets
	@grep -hE '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-18s %s\n", $$1, $$2}'

setup: $(STAMP) $(GEN_STAMP) $(WEB_STAMP) ## Create .venv, install the locked dependencies, generate gRPC code, build the web client

$(STAMP): requirements.lock
	@tools/ensure_python.sh "$(PYTHON)" $(VENV)
	$(VENV)/bin/pip install --disable-pip-version-check -q -r requirements.lock
	@echo "$(CURDIR)" > $$($(PY) -c 'import sysconfig; print(sysconfig.get_path("purelib"))')/zhitong.pth
	@echo "$(CURDIR)/gen" >> $$($(PY) -c 'import sysconfig; print(sysconfig.get_path("purelib"))')/zhitong.pth
	@rm -f $(VENV)/.installed-* && touch $@

proto: $(STAMP) $(GEN_STAMP) ## Generate Python gRPC code from proto/ into gen/

$(GEN_STAMP): $(PROTOS) $(STAMP)
	@rm -rf gen && mkdir -p gen
	$(PY) -m grpc_tools.protoc -I proto --python_out=gen --pyi_out=gen --grpc_python_out=gen $(PROTOS)
	@touch $@

web: $(WEB_STAMP) ## Build the web client (web/ -> web/dist, served by the gateway at /): npm ci, then vite build

$(WEB_DEPS): web/package-lock.json
	@command -v npm >/dev/null && node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)' \
	  || { echo "Node.js 20.19 or newer with npm is needed to build the web client (web/): https://nodejs.org" >&2; exit 1; }
	cd web && npm ci --no-audit --no-fund
	@touch $@

$(WEB_STAMP): $(WEB_DEPS) $(WEB_SOURCES)
	cd web && npm run build
	@touch $@

screen-token: setup ## Print the big screen's address with a long-lived token of the demo user `screen` (make run's settings)
	@set -a && source $(RUN_ENV) && set +a && token=$$($(PY) -m services.gateway.users --screen-token) \
	  && echo "http://127.0.0.1:$${ZHITONG_GATEWAY_PORT}/screen?token=$$token"

migrate: setup ## Apply every service's Alembic migrations (embedded SQLite or *_DATABASE_URL)
	$(PY) -m kit.migrate workflow intake consult rating alerts gateway

run: setup ## Start the whole suite (manual clock, SQLite under var/, RabbitMQ if none answers), with demo data
	@set -a && source $(RUN_ENV) && set +a && tools/ensure_rabbitmq.sh
	@set -a && source $(RUN_ENV) && set +a && $(PY) -m kit.migrate workflow intake consult rating alerts gateway \
	  && $(PY) -m services.gateway.users --demo
	@set -a && source $(RUN_ENV) && set +a && { $(VENV)/bin/honcho -f Procfile start; rc=$$?; \
	  [ $$rc -eq 0 -o $$rc -eq 130 -o $$rc -eq 143 ] || exit $$rc; }

demo: setup ## Replay weeks of approvals through the API of a running suite (after `make run`)
	@set -a && source $(RUN_ENV) && set +a && $(PY) -m tools.demo

test: setup ## All tests: unit, integration (PostgreSQL), end to end (the suite as `make run` starts it), browser
	@tools/ensure_rabbitmq.sh
	$(PY) -m pytest -q tests

test-unit: setup ## Unit tests only (no servers needed)
	$(PY) -m pytest -q tests -m "not integration and not e2e and not browser"

test-integration: setup ## Integration tests on the machine's PostgreSQL
	$(PY) -m pytest -q tests -m integration

test-e2e: setup ## End-to-end tests: the suite started as `make run` starts it, driven through the gateway
	$(PY) -m pytest -q tests -m e2e

test-browser: setup ## Browser tests: the web client in Debian's Chromium (Playwright), screenshots into var/screenshots
	@tools/ensure_rabbitmq.sh
	$(PY) -m pytest -q tests -m browser

screenshots: setup ## The browser tests, saving their screenshots into docs/screenshots (the README's pictures)
	@tools/ensure_rabbitmq.sh
	ZHITONG_SCREENSHOTS=$(CURDIR)/docs/screenshots $(PY) -m pytest -q tests -m browser

bench: setup ## Benchmarks on PostgreSQL: a sweep over 1,000,000 open items; the dashboard over 200,000 projects
	@tools/ensure_rabbitmq.sh
	$(PY) -m tools.bench_sweep
	$(PY) -m tools.bench_dashboard

k8s-check: setup ## Render and validate deploy/: kustomize variants, kubernetes-validate --strict, CRD fields, promtool
	$(PY) -m pytest -q tests/deploy

lint: setup ## ruff on the Python code
	$(VENV)/bin/ruff check kit services tests tools
	$(VENV)/bin/ruff format --check kit services tests tools

lock: setup ## Re-resolve requirements.in into requirements.lock
	$(VENV)/bin/uv pip compile requirements.in -o requirements.lock --python-version 3.11

clean: ## Remove the virtualenv, generated code and local data
	rm -rf $(VENV) gen var web/node_modules web/dist

migration: setup ## New Alembic revision from model changes: make migration SERVICE=workflow MESSAGE="add x"
	@test -n "$(SERVICE)" -a -n "$(MESSAGE)" || { echo 'usage: make migration SERVICE=workflow MESSAGE="what changed"'; exit 2; }
	$(PY) -c 'import sys; from kit.migrate import new_revision; new_revision(sys.argv[1], sys.argv[2])' "$(SERVICE)" "$(MESSAGE)"
