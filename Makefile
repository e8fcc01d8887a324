# ecs-operator developer commands. `make help` lists them.
SHELL := /usr/bin/env bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

TESTENV := hack/testenv
CARGO ?= cargo
# Where cargo puts what it builds: CARGO_TARGET_DIR when set, as cargo itself reads it.
TARGET_DIR := $(or $(CARGO_TARGET_DIR),target)

.PHONY: help
help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

.PHONY: testenv
testenv: ## Build or install kube-apiserver, kubectl, etcd, helm, moto and cargo-deny into ~/.cache/ecs-operator
	$(TESTENV)/install.sh

.PHONY: testenv-up
testenv-up: ## Start the test API server and moto; writes .testenv/env
	$(TESTENV)/up.sh

.PHONY: testenv-down
testenv-down: ## Stop what testenv-up started
	$(TESTENV)/down.sh

.PHONY: build
build: ## Build the operator binary (debug)
	$(CARGO) build --locked

RELEASE_BUILD := cargo build --release --locked --bin ecs-operator

.PHONY: release
release: ## Build the release binary with the Dockerfile's command, and report its size
	@grep -qF 'RUN $(RELEASE_BUILD)' Dockerfile || { echo "the Dockerfile no longer runs '$(RELEASE_BUILD)'; keep them the same"; exit 1; }
	@! grep -E '^FROM ' Dockerfile | grep -vE '@sha256:[0-9a-f]{64}( |$$)' || { echo "every FROM in the Dockerfile must be pinned by digest (docs/operating.md#image)"; exit 1; }
	$(RELEASE_BUILD)
	@echo "release binary: $$(du -h $(TARGET_DIR)/release/ecs-operator | cut -f1) ($$(stat -c %s $(TARGET_DIR)/release/ecs-operator) bytes)"

PREFIX ?= $(HOME)/.local

.PHONY: kubectl-plugin
kubectl-plugin: ## Install the operator binary as the kubectl plugin kubectl-ecs in $(PREFIX)/bin
	$(CARGO) install --locked --path . --bin ecs-operator --root $(PREFIX)
	ln -sf ecs-operator $(PREFIX)/bin/kubectl-ecs
	@echo "installed $(PREFIX)/bin/kubectl-ecs; with $(PREFIX)/bin on PATH, run: kubectl ecs --help"

.PHONY: crds
crds: build ## Regenerate crds/ (and the Helm chart's copy) from the Rust types
	$(TARGET_DIR)/debug/ecs-operator crds > crds/ecs.operator.dev_crds.yaml
	cp crds/ecs.operator.dev_crds.yaml charts/ecs-operator/files/crds.yaml

.PHONY: docs
docs: build ## Regenerate the flag and metric tables in docs/operating.md from the code
	hack/docs-tables.sh $(TARGET_DIR)/debug/ecs-operator

.PHONY: demo
demo: ## Run the operator locally end to end: test environment, operator, examples/quickstart
	hack/demo.sh

.PHONY: demo-progressive
demo-progressive: ## Blue/green behind a load balancer with kubectl ecs promote, and a canary rolled back by its alarm (runs make demo first if needed)
	hack/demo-progressive.sh

.PHONY: demo-down
demo-down: ## Stop what make demo started
	hack/demo.sh down

.PHONY: fmt-check
fmt-check: ## cargo fmt --check
	$(CARGO) fmt --all --check

.PHONY: clippy
clippy: ## clippy on every target, warnings are errors
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings

.PHONY: deny
deny: testenv ## cargo deny: banned crates, licenses and sources (offline: no advisory database here)
	# cargo-deny reads the metadata of every platform's crates; a machine that only built
	# for Linux may not have the Windows ones yet.
	$(CARGO) fetch --locked
	hack/testenv/cargo-deny.sh --offline check --hide-inclusion-graph bans licenses sources

.PHONY: test-unit
test-unit: ## Unit tests (no servers needed), the test proxy's included
	$(CARGO) test --workspace --locked --lib --bins

.PHONY: test-e2e
test-e2e: testenv ## Tests against the real API server and moto (starts them unless .testenv/env exists)
	$(CARGO) build --locked -p aws-fault-proxy
	$(CARGO) test --locked --test e2e

.PHONY: chaos
chaos: testenv ## The full chaos test: 200 Services, 20 SIGKILLs, 20% AWS faults, a kube-apiserver restart
	$(CARGO) build --locked -p aws-fault-proxy
	ECS_OPERATOR_CHAOS=full $(CARGO) test --locked --test e2e chaos::

.PHONY: test-emulator
test-emulator: testenv ## The AWS emulator's own tests (moto extended in hack/testenv/emulator), through boto3
	hack/testenv/emulator/test.sh

.PHONY: test-argocd
test-argocd: testenv ## The Argo CD health scripts under Lua 5.1, against objects in every state
	hack/argocd/test.sh

BENCH_BINARIES := $(CARGO) build --release --locked --bin ecs-operator --bin aws-fault-proxy --package ecs-operator --package aws-fault-proxy
BENCH_SERVICES ?= 1000
BENCH_TASKS ?= 1000

.PHONY: bench
bench: testenv ## Scale benchmark: BENCH_SERVICES (1000) Services to Ready, idle cost, footprint, then under AWS's quotas, then fairness between namespaces, then BENCH_TASKS (1000) one-off Tasks; writes bench/results/
	$(BENCH_BINARIES)
	hack/bench/bench.py --services $(BENCH_SERVICES) --out bench/results/latest
	hack/bench/bench.py --services $(BENCH_SERVICES) --mode quota --out bench/results/latest-quota
	hack/bench/bench.py --services $(BENCH_SERVICES) --plain-moto --out bench/results/latest-plain-moto
	hack/bench/fairness.py --measure-at apply --out bench/results/fairness-burst
	hack/bench/fairness.py --measure-at failing --out bench/results/fairness-steady
	hack/bench/batch.py --tasks $(BENCH_TASKS) --out bench/results/latest-batch

.PHONY: bench-smoke
bench-smoke: testenv ## The benchmarks with 50 Services and 50 Tasks, checking only that their counts are sane
	$(BENCH_BINARIES)
	hack/bench/bench.py --services 50 --resync 10 --out $(TARGET_DIR)/bench/smoke --smoke
	hack/bench/batch.py --tasks 50 --resync 10 --out $(TARGET_DIR)/bench/batch-smoke --smoke

.PHONY: fuzz
fuzz: testenv ## 1000 manifests generated from the CRDs' schemas against the API server and the emulator; writes bench/results/fuzz
	$(BENCH_BINARIES)
	hack/fuzz/run.sh --manifests 1000 --out bench/results/fuzz

.PHONY: fuzz-smoke
fuzz-smoke: testenv ## The fuzz run with 50 manifests and a seed, as make test runs it
	$(BENCH_BINARIES)
	hack/fuzz/run.sh --manifests 50 --seed 1 --settle 30 --window 30 --out $(TARGET_DIR)/fuzz/smoke

.PHONY: test
test: fmt-check clippy deny test-unit test-emulator test-argocd test-e2e release bench-smoke fuzz-smoke ## Every check and test tier, the release build, the benchmark and fuzz smoke checks
