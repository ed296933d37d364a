# IOVSim. `make demo` and `make test` work on a fresh Debian machine: they install the Debian
# packages they need (libz3-dev, pkg-config, pciutils, gtkwave, z3, wireshark-common,
# tcpdump) with apt-get when they are missing.
SHELL := /bin/bash
SWIFT ?= swift
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
IOVSIM := .build/debug/iovsim
# The simulator is the product: the demo shows its real speed.
IOVSIM_RELEASE := .build/release/iovsim

.PHONY: all build release test demo prove fuzz wave bench clean deps

all: build

# Debian packages the build and tests use; installed only when missing. pciutils: the real
# lspci, which the tests run on iovsim's config-space dumps; gtkwave: vcd2fst, which the tests
# run on iovsim's VCDs; z3: the solver binary, which the tests run on `prove --smt2` files;
# wireshark-common (text2pcap) and tcpdump: they make and read the tests' pcap files.
deps:
	@need=""; \
	command -v pkg-config >/dev/null 2>&1 || need="$$need pkg-config"; \
	pkg-config --exists z3 2>/dev/null || need="$$need libz3-dev"; \
	command -v lspci >/dev/null 2>&1 || need="$$need pciutils"; \
	command -v vcd2fst >/dev/null 2>&1 || need="$$need gtkwave"; \
	command -v z3 >/dev/null 2>&1 || need="$$need z3"; \
	command -v text2pcap >/dev/null 2>&1 || need="$$need wireshark-common"; \
	command -v tcpdump >/dev/null 2>&1 || [ -x /usr/sbin/tcpdump ] || need="$$need tcpdump"; \
	if [ -n "$$need" ]; then \
		echo "installing:$$need"; \
		$(SUDO) apt-get update -qq && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$need; \
	fi

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release

test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

# Builds; proves the 82599 model's isolation properties after simulating its firmware bring-up;
# runs both shipped models for 300,000 clocks: bring-up, the PF drivers, the VMM and each VM's
# VF drivers on the host CPU, then frames from the wire, between the VMs and to the wire, each
# VM's frames accounted for; prints the 82599's receive throughput per frame size and runs the
# whole-pipeline model (63 reflecting VFs); the 82599 run writes a VCD, a TLP log, a frame log and the wires'
# and pools' pcaps to out/; writes the config-space dump the real `lspci -F out/i82599.lspci
# -vvv` decodes. A release build.
demo: IOVSIM := $(IOVSIM_RELEASE)
demo: release
	@mkdir -p out
	@echo "== iovsim prove Models/i82599.toml"
	$(IOVSIM) prove Models/i82599.toml
	@echo
	@echo "== iovsim prove Models/broken/acs-redirect-off.toml (expected: violated, exit 1)"
	-$(IOVSIM) prove Models/broken/acs-redirect-off.toml | grep -E -A1 "violated|properties over"
	@echo
	@echo "== iovsim prove Models/broken/ats-stale-atc.toml (expected: violated through a stale device ATC, exit 1)"
	-$(IOVSIM) prove Models/broken/ats-stale-atc.toml | grep -E -A2 "violated|properties over"
	@echo
	@echo "== iovsim run Models/i82599.toml --cycles 300000"
	set -o pipefail; $(IOVSIM) run Models/i82599.toml --cycles 300000 --vcd out/i82599.vcd --tlp-log out/i82599.tlp.log --pcap-out out/pcap --frame-log out/i82599.frames.log --quiet | grep -v -E "frames per pool|\.pool[0-9]+\.pcap"
	@echo "wrote out/i82599.vcd (open with: gtkwave out/i82599.vcd; the drivers: top.vm1.*.driver.*), out/i82599.tlp.log, out/i82599.frames.log and out/pcap/*.pcap (read with: tcpdump -r out/pcap/nic0.port0.wire-in.pcap)"
	@echo
	@echo "== iovsim run Models/i82576.toml --cycles 300000 (the VMs' lines)"
	set -o pipefail; $(IOVSIM) run Models/i82576.toml --cycles 300000 --quiet | grep -E "^(model|bring-up|host|guard|vm[0-9])"
	@echo
	@echo "== iovsim run Models/i82599.toml --sweep-frame-sizes (receive throughput per frame size, and what limits it)"
	$(IOVSIM) run Models/i82599.toml --sweep-frame-sizes
	@echo
	@echo "== iovsim run Models/scale/i82599-64vf-forward.toml --cycles 300000 (63 VFs reflecting 64-byte frames at line rate)"
	set -o pipefail; $(IOVSIM) run Models/scale/i82599-64vf-forward.toml --cycles 300000 --quiet | grep -E "^(model|nic0.port0:|guard|vm[0-9])" | cut -c1-200
	@echo
	@echo "== iovsim lspci Models/i82599.toml --vf-enable 4"
	$(IOVSIM) lspci Models/i82599.toml --vf-enable 4
	$(IOVSIM) lspci Models/i82599.toml --vf-enable 4 -xxxx > out/i82599.lspci
	@echo "wrote out/i82599.lspci; decode it with: lspci -F out/i82599.lspci -vvv"

# Every model's properties: Models/ must all be proved (exit 0), Models/broken/ must all fail
# (exit 1, with counterexamples).
prove: build
	@for m in Models/*.toml; do \
		out=$$($(IOVSIM) prove $$m) || { echo "$$out"; echo "$$m: not proved"; exit 1; }; \
		echo "$$m: $$(echo "$$out" | tail -1)"; \
	done
	@for m in Models/broken/*.toml; do \
		out=$$($(IOVSIM) prove $$m); status=$$?; \
		echo "$$m (expected violated):"; echo "$$out" | grep -A1 violated; \
		test $$status -eq 1 || { echo "$$m: exit $$status, expected 1"; exit 1; }; \
	done

# The fuzz tests alone: 200,000 config accesses per model, 100,000 TLP headers at a root port.
fuzz: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build --filter "ConfigFuzzTests|tlpFuzz"

# The README's GTKWave screenshot: the 82599 model's bring-up, rendered under Xvfb.
wave: build
	@command -v xvfb-run >/dev/null && command -v import >/dev/null || $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq xvfb imagemagick
	@mkdir -p out docs
	$(IOVSIM) run Models/i82599.toml --cycles 5000 --vcd out/i82599-bringup.vcd --quiet
	xvfb-run -a -s "-screen 0 1400x800x24" sh -c 'gtkwave docs/bringup.gtkw >/dev/null 2>&1 & sleep 6; import -window root docs/gtkwave.png; kill $$!'

# package-benchmark suites (their own package under Benchmarks/, not part of `make test`).
bench: deps
	cd Benchmarks && $(SWIFT) package benchmark

clean:
	rm -rf .build Benchmarks/.build out
