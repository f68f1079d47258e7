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

.DEFAULT_GOAL := help
.PHONY: help setup proto run demo bench k8s-check test test-unit test-integration test-e2e lint migrate migration lock clean

help: ## List the targets
	@grep -hE '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-18s %s\n", $$1, $$2}'

setup: $(STAMP) $(GEN_STAMP) ## Create .venv, install the locked dependencies, generate gRPC code

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

test: setup ## All tests: unit, integration (PostgreSQL), end to end (the suite as `make run` starts it)
	@tools/ensure_rabbitmq.sh
	$(PY) -m pytest -q tests

test-unit: setup ## Unit tests only (no servers needed)
	$(PY) -m pytest -q tests -m "not integration and not e2e"

test-integration: setup ## Integration tests on the machine's PostgreSQL
	$(PY) -m pytest -q tests -m integration

test-e2e: setup ## End-to-end tests: the suite started as `make run` starts it, driven through the gateway
	$(PY) -m pytest -q tests -m e2e

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
	rm -rf $(VENV) gen var

migration: setup ## New Alembic revision from model changes: make migration SERVICE=workflow MESSAGE="add x"
	@test -n "$(SERVICE)" -a -n "$(MESSAGE)" || { echo 'usage: make migration SERVICE=workflow MESSAGE="what changed"'; exit 2; }
	$(PY) -c 'import sys; from kit.migrate import new_revision; new_revision(sys.argv[1], sys.argv[2])' "$(SERVICE)" "$(MESSAGE)"
