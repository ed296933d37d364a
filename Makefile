# IOVSim. `make demo` and `make test` work on a fresh Debian machine: they install the Debian
# packages they need (libz3-dev, pkg-config, pciutils, gtkwave) with apt-get when they are missing.
SWIFT ?= swift
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
IOVSIM := .build/debug/iovsim

.PHONY: all build test demo bench clean deps

all: build

# Debian packages the build and tests use; installed only when missing. pciutils: the real
# lspci, which the tests run on iovsim's config-space dumps; gtkwave: vcd2fst, which the tests
# run on iovsim's VCDs.
deps:
	@need=""; \
	command -v pkg-config >/dev/null 2>&1 || need="$$need pkg-config"; \
	pkg-config --exists z3 2>/dev/null || need="$$need libz3-dev"; \
	command -v lspci >/dev/null 2>&1 || need="$$need pciutils"; \
	command -v vcd2fst >/dev/null 2>&1 || need="$$need gtkwave"; \
	if [ -n "$$need" ]; then \
		echo "installing:$$need"; \
		$(SUDO) apt-get update -qq && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$need; \
	fi

build: deps
	$(SWIFT) build

test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

# Builds, then: places the VFs of the 82599 model (64 VFs, stride 2) with and without ARI and
# proves their routing IDs distinct and inside the port's bus range; lists the model's
# functions with 4 VFs enabled, lspci-style, and writes their config-space dump to
# out/i82599.lspci, which the real `lspci -F out/i82599.lspci -vvv` decodes.
demo: build
	@echo "== 82599 model, ARI Capable Hierarchy set: First VF Offset 0x80, VF Stride 2, 64 VFs"
	$(IOVSIM) layout --pf 03:00.0 --offset 0x80 --stride 2 --vfs 64 --ari on
	@echo
	@echo "== same PF below a non-ARI port: First VF Offset 0x180 puts the VFs on the next bus"
	$(IOVSIM) layout --pf 03:00.0 --offset 0x180 --stride 2 --vfs 64 --ari off --secondary 3 --subordinate 4
	@echo
	@echo "== Models/i82599.toml with 4 VFs enabled, as lspci lists it"
	$(IOVSIM) lspci Models/i82599.toml --vf-enable 4 -v
	@mkdir -p out
	$(IOVSIM) lspci Models/i82599.toml --vf-enable 4 -xxxx > out/i82599.lspci
	@echo "wrote out/i82599.lspci; decode it with: lspci -F out/i82599.lspci -vvv"

# package-benchmark suites (their own package under Benchmarks/, not part of `make test`).
bench: deps
	cd Benchmarks && $(SWIFT) package benchmark

clean:
	rm -rf .build Benchmarks/.build
