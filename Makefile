# Entry points for a fresh machine: each target installs the system packages it needs first.
#   make run   — build in release and run `mtfsim simulate` on the default (embedded) short-video environment,
#                writing its episode log to logs/<env>-seed1-<time>.sqlite
#   make test  — run the whole test suite: Swift, then the Python package's pytest suite in .venv (with Chromium for the
#                `mtfsim report` pages, headless)
#   make bench — build in release and run every benchmark
#   make python       — .venv with the Python package (builds libMTFSimC.so) and its test extras
#   make side-by-side — .venv-d3rlpy with d3rlpy (and torch): the d3rlpy round trips and python/examples/d3rlpy_side_by_side.py
#   make ray          — .venv-ray with Ray (Data, RLlib), torch and the package ([test,ray])
#   make ray-smoke    — the Ray examples as smoke tests: the `ray`-marked pytest tests and a 2-shard ray_simulate.py run

SYSTEM_PACKAGES := libopenblas-dev libsqlite3-dev
# What only the tests need: a real browser to open `mtfsim report` pages in.
TEST_SYSTEM_PACKAGES := chromium
SUDO := $(shell [ "$$(id -u)" -ne 0 ] && command -v sudo)
PYTHON ?= python3
VENV := .venv
VENV_D3RLPY := .venv-d3rlpy
VENV_RAY := .venv-ray

.PHONY: deps test-deps python-system run test bench python side-by-side ray ray-smoke

define apt_install
	@missing=""; for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi
endef

deps:
	$(call apt_install,$(SYSTEM_PACKAGES))

test-deps:
	$(call apt_install,$(TEST_SYSTEM_PACKAGES))

# Python's venv and pip (Debian splits them out of python3; other Pythons carry them).
python-system:
	@if ! $(PYTHON) -c 'import venv, ensurepip' >/dev/null 2>&1; then \
		echo "installing: python3-venv python3-pip"; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq python3-venv python3-pip; \
	fi

# The package is installed as users install it (pip install ./python), which builds the release library.
python: deps python-system
	@[ -x $(VENV)/bin/python ] || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --upgrade pip
	$(VENV)/bin/python -m pip install --quiet './python[test]'

# torch: a CPU-only wheel from $(TORCH_WHEELS) when the machine has one (PyPI's default build carries CUDA, ~5 GB).
TORCH_WHEELS ?= /opt/wheels

define cpu_torch
	@wheel=$$(ls $(TORCH_WHEELS)/torch-*cpu*.whl 2>/dev/null | head -1); \
	if [ -n "$$wheel" ]; then $(1)/bin/python -m pip install --quiet "$$wheel"; fi
endef

side-by-side: deps python-system
	@[ -x $(VENV_D3RLPY)/bin/python ] || $(PYTHON) -m venv $(VENV_D3RLPY)
	$(VENV_D3RLPY)/bin/python -m pip install --quiet --upgrade pip
	$(call cpu_torch,$(VENV_D3RLPY))
	$(VENV_D3RLPY)/bin/python -m pip install --quiet './python[test,d3rlpy]'
	swift build -c release --product mtfsim
	cd python && ../$(VENV_D3RLPY)/bin/python -m pytest -q -m d3rlpy tests
	$(VENV_D3RLPY)/bin/python python/examples/d3rlpy_side_by_side.py --cli .build/release/mtfsim

ray: deps python-system
	@[ -x $(VENV_RAY)/bin/python ] || $(PYTHON) -m venv $(VENV_RAY)
	$(VENV_RAY)/bin/python -m pip install --quiet --upgrade pip
	$(call cpu_torch,$(VENV_RAY))
	$(VENV_RAY)/bin/python -m pip install --quiet './python[test,ray]'

# A local Ray cluster of 2 CPUs, started by the example itself; tiny sizes, so it takes seconds once built.
ray-smoke: ray
	swift build -c release --product mtfsim
	cd python && MTFSIM_CLI=$(CURDIR)/.build/release/mtfsim ../$(VENV_RAY)/bin/python -m pytest -q -m ray tests
	out=$$(mktemp -d) && $(VENV_RAY)/bin/python python/examples/ray_simulate.py --shards 2 --episodes 200 --env tiny \
		--num-cpus 2 --cli .build/release/mtfsim --out $$out/ray-smoke; status=$$?; rm -rf $$out; exit $$status

run: deps
	swift build -c release --product mtfsim
	.build/release/mtfsim simulate

test: deps test-deps python
	swift test --disable-xctest
	cd python && MTFSIM_REQUIRE_BROWSER=1 ../$(VENV)/bin/python -m pytest -q

bench: deps python
	swift build -c release --product mtfsim
	.build/release/mtfsim bench numerics
	.build/release/mtfsim bench simulate
	.build/release/mtfsim bench log
	.build/release/mtfsim bench ranker
	$(VENV)/bin/python python/benchmarks/env_speed.py --cli .build/release/mtfsim
