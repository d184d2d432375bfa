# Switchboard: build, test and deploy.
#
# Every target runs from the repository root. The tools the targets need
# (DynamoDB Local, moto, AWS SAM CLI, staticcheck) are installed on demand into
# .tools/ (ignored by git) at pinned versions, each behind a stamp file in
# .tools/stamps/, so the first run on a new machine fetches them from the
# package registries and every later run starts at once. A failed install
# leaves no stamp and is redone from scratch next time.
#
# Run `make help` for the list of targets.

SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help
.DELETE_ON_ERROR:
MAKEFLAGS += --no-builtin-rules

# ---------------------------------------------------------------------------
# Functions
#
# Every functions/<name>/main.go is a Lambda function. Its LogicalId in
# template.yaml is the folder name in CamelCase plus "Function":
# ingest -> IngestFunction, broadcast-plan -> BroadcastPlanFunction.
# Adding a function needs no edit here; shared/template tests the convention.

FUNCTIONS := $(sort $(patsubst functions/%/main.go,%,$(wildcard functions/*/main.go)))

logical_id = $(shell printf '%s' '$(1)' | awk -F'[-_]' '{ for (i = 1; i <= NF; i++) printf "%s%s", toupper(substr($$i, 1, 1)), substr($$i, 2) }')Function

GO_LAMBDA_ENV   := GOOS=linux GOARCH=arm64 CGO_ENABLED=0
GO_LAMBDA_FLAGS := -trimpath -tags lambda.norpc -ldflags='-s -w'

# lambda_build builds function $(1) into the bootstrap file $(2).
lambda_build = $(GO_LAMBDA_ENV) go build $(GO_LAMBDA_FLAGS) -o $(2) ./functions/$(1)

# ---------------------------------------------------------------------------
# Tools

TOOLS      := .tools
STAMPS     := $(TOOLS)/stamps
RUN_DIR    := $(TOOLS)/run
DDB_DIR    := $(TOOLS)/dynamodb-local
MOTO_VENV  := $(TOOLS)/venv-moto
SAM_VENV   := $(TOOLS)/venv-sam
SAM        := $(SAM_VENV)/bin/sam
PYTHON     ?= python3

# staticcheck v0.8.2 is release 2026.2.2, the first line built for Go 1.26.
STATICCHECK_VERSION := v0.8.2
STATICCHECK         := $(TOOLS)/bin/staticcheck

DDB_STAMP         := $(STAMPS)/dynamodb-local
MOTO_STAMP        := $(STAMPS)/moto
SAM_STAMP         := $(STAMPS)/sam
STATICCHECK_STAMP := $(STAMPS)/staticcheck-$(STATICCHECK_VERSION)

SERVICE_TOOLS := $(DDB_STAMP) $(MOTO_STAMP)
TEST_TOOLS    := $(SERVICE_TOOLS) $(SAM_STAMP)
ALL_TOOLS     := $(TEST_TOOLS) $(STATICCHECK_STAMP)

PIP_INSTALL := bin/pip install --quiet --disable-pip-version-check --no-input

# ---------------------------------------------------------------------------
# Emulators for tests, benchmarks and the local runner (infra/testenv).

export SWITCHBOARD_DDB_PORT  := $(or $(SWITCHBOARD_DDB_PORT),48000)
export SWITCHBOARD_MOTO_PORT := $(or $(SWITCHBOARD_MOTO_PORT),48001)

# Fake credentials and a fixed region so nothing run here can reach AWS;
# a profile or session token from the caller's shell is dropped for the same
# reason (an empty AWS_PROFILE is an error to the SDKs, so it is unset).
AWS_UNSET     := AWS_PROFILE AWS_DEFAULT_PROFILE AWS_SESSION_TOKEN
LOCAL_AWS_ENV := \
	AWS_REGION=ap-northeast-1 AWS_DEFAULT_REGION=ap-northeast-1 \
	AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_EC2_METADATA_DISABLED=true

EMULATOR_ENV := $(LOCAL_AWS_ENV) \
	SWITCHBOARD_DYNAMODB_ENDPOINT=http://127.0.0.1:$(SWITCHBOARD_DDB_PORT) \
	SWITCHBOARD_SQS_ENDPOINT=http://127.0.0.1:$(SWITCHBOARD_MOTO_PORT) \
	SWITCHBOARD_EVENTBRIDGE_ENDPOINT=http://127.0.0.1:$(SWITCHBOARD_MOTO_PORT) \
	SWITCHBOARD_REQUIRE_EMULATORS=1

# SERVICES_UP starts the emulators and arranges for the rest of the recipe's
# shell to stop them on exit, whatever the outcome; on failure it points at
# the emulators' logs. The recipe goes on after it on the same shell line.
SERVICES_UP = infra/testenv/up.sh >/dev/null; \
	trap 'status=$$?; infra/testenv/down.sh; \
	      if [ $$status -ne 0 ]; then echo "emulator logs: $(RUN_DIR)/dynamodb-local.log $(RUN_DIR)/moto.log" >&2; fi; \
	      exit $$status' EXIT; \
	trap 'exit 129' HUP; trap 'exit 130' INT; trap 'exit 143' TERM; \
	unset $(AWS_UNSET); export $(EMULATOR_ENV);

# -race catches the data races the handlers' goroutines could have; on two
# cores it took the suite from 31 s to 51 s when measured, so it stays on.
# Override with GO_TEST_FLAGS= to drop it.
GO_TEST_FLAGS ?= -race
FUZZTIME      ?= 5s

# SAM never needs real AWS for validate and build; no telemetry either.
SAM_LOCAL_ENV := env $(AWS_UNSET:%=-u %) $(LOCAL_AWS_ENV) SAM_CLI_TELEMETRY=0

.PHONY: help build test test-go fuzz bench run invoke send lint validate sam-build deploy \
	clean clean-tools tools tools-test test-tool-stamps up down FORCE

help: ## Show this list.
	@awk 'BEGIN { FS = ":.*## " } /^[a-z][a-z-]*:.*## / { printf "  %-12s %s\n", $$1, $$2 }' $(MAKEFILE_LIST)

# ---------------------------------------------------------------------------
# Build

build: $(FUNCTIONS:%=.build/%/bootstrap) ## Build every functions/*/ into .build/<name>/bootstrap (linux/arm64).
	@echo "==> built: $(or $(FUNCTIONS),no functions yet)"

.build/%/bootstrap: FORCE
	$(call lambda_build,$*,$@)

# build-<LogicalId> targets are what `sam build` runs for functions with
# Metadata.BuildMethod makefile; it sets ARTIFACTS_DIR.
define sam_build_rule
.PHONY: build-$(2)
build-$(2):
	$$(if $$(ARTIFACTS_DIR),,$$(error build-$(2) is run by sam build, which sets ARTIFACTS_DIR))
	$$(call lambda_build,$(1),$$(ARTIFACTS_DIR)/bootstrap)
endef
$(foreach f,$(FUNCTIONS),$(eval $(call sam_build_rule,$(f),$(call logical_id,$(f)))))

# ---------------------------------------------------------------------------
# Test

test: tools-test ## Install tools, start emulators, vet, test, fuzz briefly, validate the template, stop emulators.
	@$(SERVICES_UP) \
	$(MAKE) --no-print-directory test-go fuzz validate

# test-go expects the emulators' environment; `make test` provides it.
# PKGS narrows vet and test to some packages (make test PKGS=./shared/dynamo/...).
# The full output is kept in .build/test.log; when a test fails, its report is
# printed again at the end, where a CI log's tail shows it.
PKGS ?= ./...
test-go:
	go vet $(PKGS)
	@mkdir -p .build
	@echo "go test $(GO_TEST_FLAGS) -count=1 $(PKGS)"
	@go test $(GO_TEST_FLAGS) -count=1 $(PKGS) 2>&1 | tee .build/test.log || { \
		echo "==> failing tests (the full output is in .build/test.log):"; \
		grep -E -B2 -A20 -- '^\s*--- FAIL|^panic:|^WARNING: DATA RACE' .build/test.log | head -300; \
		exit 1; }

fuzz: ## Run every func FuzzXxx in the tree for FUZZTIME (default 5s) each.
	@targets=$$(grep -rEo --include='*_test.go' --exclude-dir=.tools --exclude-dir=.build \
		--exclude-dir=.aws-sam --exclude-dir=.git --exclude-dir=testdata \
		'^func Fuzz[A-Za-z0-9_]*\(' . | \
		sed -E 's#^(.*)/[^/]*_test\.go:func (Fuzz[A-Za-z0-9_]*)\($$#\1 \2#' | sort -u); \
	if [ -z "$$targets" ]; then echo "==> fuzz: no fuzz targets found"; exit 0; fi; \
	while read -r dir name; do \
		echo "==> fuzz $$dir $$name for $(FUZZTIME)"; \
		infra/testenv/fuzz-one.sh "$$dir" "$$name" "$(FUZZTIME)"; \
	done <<< "$$targets"

bench: $(SERVICE_TOOLS) ## Run benchmarks with emulators up; raw output in .build/bench.txt.
	@mkdir -p .build; \
	$(SERVICES_UP) \
	go test -run='^$$' -bench=. -benchmem -count=1 ./... | tee .build/bench.txt; \
	if [ -d infra/benchreport ]; then \
		go run ./infra/benchreport .build/bench.txt; \
	else \
		echo "==> infra/benchreport does not exist yet: the raw figures are in .build/bench.txt"; \
	fi

lint: $(STATICCHECK_STAMP) ## gofmt, go vet, staticcheck, and go.mod/go.sum tidiness (checked without rewriting them).
	@echo "==> gofmt -l"
	@dirs=$$(ls -d functions shared infra 2>/dev/null || true); \
	unformatted=$$(if [ -n "$$dirs" ]; then gofmt -l $$dirs; fi); \
	if [ -n "$$unformatted" ]; then echo "gofmt wants to rewrite:"; echo "$$unformatted"; exit 1; fi
	@echo "==> go vet ./..."
	go vet ./...
	@echo "==> staticcheck ./..."
	$(STATICCHECK) ./...
	@echo "==> go mod tidy -diff"
	@go mod tidy -diff || { echo "go.mod/go.sum are not tidy: the diff above is what go mod tidy would change" >&2; exit 1; }

validate: $(SAM_STAMP) ## sam validate --lint on template.yaml (offline, fake credentials).
	@echo "==> sam validate --lint"
	$(SAM_LOCAL_ENV) $(SAM) validate --lint --template template.yaml

# ---------------------------------------------------------------------------
# Run and deploy

# RUNNER is the local runner's command (infra/runner/cmd/switchboard-local).
# Arguments go in RUN_ARGS.
RUNNER   ?= ./infra/runner/cmd/switchboard-local
RUN_ARGS ?=

run: $(SERVICE_TOOLS) ## Start the emulators, the fakes and every function, seed a demo team; Ctrl-C stops everything.
	@$(SERVICES_UP) \
	echo "==> go run $(RUNNER) up $(RUN_ARGS)"; \
	go run $(RUNNER) up $(RUN_ARGS)

invoke: $(SERVICE_TOOLS) ## Run one function once with a sample event, like sam local invoke: make invoke FN=ingest EVENT=events/webhooks/line-text.json
	@test -n "$(FN)" || { echo "make invoke: set FN=<function> (and EVENT=<file>)" >&2; exit 2; }
	@$(SERVICES_UP) \
	go run $(RUNNER) invoke -fn "$(FN)" $(if $(EVENT),-event "$(EVENT)")

send: ## Post a signed sample webhook to a running `make run`: make send EVENT=events/webhooks/line-text.json
	@go run $(RUNNER) send $(if $(EVENT),-event "$(EVENT)")

up: $(SERVICE_TOOLS) ## Start the emulators and leave them running (for go test by hand); prints the env to export.
	@infra/testenv/up.sh
	@echo "# also: export SWITCHBOARD_REQUIRE_EMULATORS=1; stop them with: make down" >&2

down: ## Stop the emulators started by make up.
	@infra/testenv/down.sh

sam-build: $(SAM_STAMP) ## sam build into .aws-sam/ (runs the build-<LogicalId> targets; no Docker).
	$(SAM_LOCAL_ENV) $(SAM) build --build-in-source --template template.yaml

deploy: $(SAM_STAMP) ## sam build, then sam deploy (--guided when there is no samconfig.toml).
	SAM_CLI_TELEMETRY=0 $(SAM) build --build-in-source --template template.yaml
	@if [ -f samconfig.toml ]; then \
		echo "SAM_CLI_TELEMETRY=0 $(SAM) deploy"; SAM_CLI_TELEMETRY=0 $(SAM) deploy; \
	else \
		echo "no samconfig.toml: starting sam deploy --guided (samconfig.toml.example shows the answers)"; \
		SAM_CLI_TELEMETRY=0 $(SAM) deploy --guided; \
	fi

clean: ## Remove build outputs (.build, .aws-sam); keeps the installed tools.
	rm -rf .build .aws-sam

clean-tools: down ## Remove the installed tools (.tools).
	rm -rf $(TOOLS)

# ---------------------------------------------------------------------------
# Tool installation

tools: $(ALL_TOOLS) ## Install every tool into .tools/ (pinned; instant once done).

# tools-test installs what make test needs, the slow downloads side by side.
tools-test:
	@$(MAKE) --no-print-directory -j3 test-tool-stamps

test-tool-stamps: $(TEST_TOOLS)
	@:

$(DDB_STAMP): infra/tools/dynamodb-local/pom.xml
	@echo "==> installing DynamoDB Local into $(DDB_DIR)"
	@rm -rf $(DDB_DIR) $@
	@mkdir -p $(DDB_DIR)
	mvn -q -B -f $< dependency:copy-dependencies -DoutputDirectory=$(CURDIR)/$(DDB_DIR)/lib \
		>$(DDB_DIR)/install.log 2>&1 || { cat $(DDB_DIR)/install.log >&2; exit 1; }
	@mkdir -p $(@D) && touch $@

$(MOTO_STAMP): infra/tools/moto/requirements.txt infra/tools/moto/constraints.txt
	@echo "==> installing moto into $(MOTO_VENV)"
	@rm -rf $(MOTO_VENV) $@
	$(PYTHON) -m venv $(MOTO_VENV)
	$(MOTO_VENV)/$(PIP_INSTALL) -r infra/tools/moto/requirements.txt -c infra/tools/moto/constraints.txt
	@mkdir -p $(@D) && touch $@

$(SAM_STAMP): infra/tools/sam/requirements.txt infra/tools/sam/constraints.txt
	@echo "==> installing AWS SAM CLI into $(SAM_VENV)"
	@rm -rf $(SAM_VENV) $@
	$(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/$(PIP_INSTALL) -r infra/tools/sam/requirements.txt -c infra/tools/sam/constraints.txt
	@mkdir -p $(@D) && touch $@

$(STATICCHECK_STAMP):
	@echo "==> installing staticcheck $(STATICCHECK_VERSION) into $(TOOLS)/bin"
	@rm -f $(STAMPS)/staticcheck-*
	GOBIN=$(CURDIR)/$(TOOLS)/bin go install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)
	@mkdir -p $(@D) && touch $@

FORCE:
