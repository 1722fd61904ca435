# OxyWatch — make targets. `make help` lists them.
SHELL := /bin/bash
GOBIN := $(shell go env GOPATH)/bin
export PATH := $(GOBIN):$(PATH)
INFLUXD_VERSION := v1.8.10
STATICCHECK_VERSION := v0.8.2
VERSION := $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)

.PHONY: help deps build test test-short lint fuzz bench score run clean proto

help: ## list targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

deps: ## install what builds and tests need when missing (mosquitto, influxd, chromium)
	@scripts/deps.sh

build: ## build bin/oxywatch and bin/firmware-sim
	go build -ldflags "-X main.version=$(VERSION)" -o bin/ ./cmd/oxywatch ./firmware-sim

test: deps ## run every test, integration tests against real mosquitto and influxd included
	OXYWATCH_REQUIRE_INTEGRATION=1 OXYWATCH_SCREENSHOT_DIR=$(CURDIR)/var/screenshots go test -race -count=1 -timeout 30m ./...

lint: ## go vet and staticcheck (installed with go install when missing); CI runs it before the tests
	go vet ./...
	@command -v staticcheck >/dev/null || go install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)
	staticcheck ./...

test-short: ## unit tests only (no servers)
	go test -short -race ./...

fuzz: ## fuzz everything that reads device or user bytes, FUZZTIME (default 2m) each
	go test ./ingest -run '^$$' -fuzz '^FuzzDecodeTelemetry$$' -fuzztime $${FUZZTIME:-2m}
	go test ./ingest -run '^$$' -fuzz '^FuzzHandleMessage$$' -fuzztime $${FUZZTIME:-2m}
	go test ./ingest -run '^$$' -fuzz '^FuzzDecodeMatchesV1$$' -fuzztime $${FUZZTIME:-2m}
	go test ./ingest -run '^$$' -fuzz '^FuzzDecodeMapped$$' -fuzztime $${FUZZTIME:-2m}
	go test ./ingest/sparkplug -run '^$$' -fuzz '^FuzzHandle$$' -fuzztime $${FUZZTIME:-2m}
	go test ./internal/plant -run '^$$' -fuzz '^FuzzValidDeviceID$$' -fuzztime $${FUZZTIME:-2m}
	go test ./internal/influx -run '^$$' -fuzz '^FuzzRepairTag$$' -fuzztime $${FUZZTIME:-2m}
	go test ./api -run '^$$' -fuzz '^FuzzParseInventory$$' -fuzztime $${FUZZTIME:-2m}
	go test ./alerting/notify -run '^$$' -fuzz '^FuzzInboundText$$' -fuzztime $${FUZZTIME:-2m}
	go test ./alerting/notify -run '^$$' -fuzz '^FuzzSMSText$$' -fuzztime $${FUZZTIME:-2m}
	go test ./api -run '^$$' -fuzz '^FuzzParseIngestBatch$$' -fuzztime $${FUZZTIME:-2m}
	go test ./internal/smsalarm -run '^$$' -fuzz '^FuzzRead$$' -fuzztime $${FUZZTIME:-2m}

score: ## alerts against the simulator's ground truth: recall, precision, latency per fault kind
	go run ./firmware-sim/score/cmd/score

bench: deps ## benchmarks with figures: ingest vs bare subscriber, Sparkplug vs JSON, buffer, alerting, reports, API
	go test -run '^$$' -bench . -benchtime 1x ./internal/app/
	go test -run '^$$' -bench . -benchmem ./ingest/... ./alerting/... ./report/... ./api/...
	go test -run '^$$' -bench LoadMode -benchtime 1x ./firmware-sim/

proto: ## regenerate ingest/sparkplug/sproto/sparkplug_b.pb.go (needs protoc and protoc-gen-go v1.36.x; the build does not)
	go generate ./ingest/sparkplug/sproto

run: deps build ## start influxd, oxywatch and a demo fleet; Ctrl-C stops everything
	@scripts/run.sh

clean: ## remove build output (keeps ./var data)
	rm -rf bin
