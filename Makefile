# Entry points for a fresh machine: each target installs the system packages it needs first.
#   make run   — build in release and run `mtfsim simulate` on the default (embedded) short-video environment,
#                writing its episode log to logs/<env>-seed1-<time>.sqlite
#   make test  — run the whole test suite
#   make bench — build in release and run every benchmark

SYSTEM_PACKAGES := libopenblas-dev libsqlite3-dev
SUDO := $(shell [ "$$(id -u)" -ne 0 ] && command -v sudo)

.PHONY: deps run test bench

deps:
	@missing=""; for p in $(SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi

run: deps
	swift build -c release --product mtfsim
	.build/release/mtfsim simulate

test: deps
	swift test --disable-xctest

bench: deps
	swift build -c release --product mtfsim
	.build/release/mtfsim bench numerics
	.build/release/mtfsim bench simulate
	.build/release/mtfsim bench log
	.build/release/mtfsim bench ranker
