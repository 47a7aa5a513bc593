# SPDX-License-Identifier: GPL-2.0
#
# mig: build the module and migctl, run the demo and the test suite.

# The build machine may run a kernel without modules: fall back to the
# newest installed headers, which is what the test VMs boot.
KDIR ?= $(shell if [ -d /lib/modules/$$(uname -r)/build ]; then \
		echo /lib/modules/$$(uname -r)/build; \
	else \
		ls -d /lib/modules/*/build 2>/dev/null | sort -V | tail -n 1; \
	fi)
KVER ?= $(notdir $(patsubst %/build,%,$(KDIR)))
PREFIX ?= /usr/local

PYTHON := /usr/bin/python3

all: module migctl progs

module:
	@test -n "$(KDIR)" || { echo "no kernel headers: apt-get install linux-headers-amd64" >&2; exit 1; }
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

migctl:
	$(MAKE) -C userspace-ctl

# Programs the tests run inside the virtual cluster.
progs:
	$(MAKE) -C tests/progs

clean:
	@test -z "$(KDIR)" || $(MAKE) -C $(KDIR) M=$(CURDIR) clean
	$(MAKE) -C userspace-ctl clean
	$(MAKE) -C tests/progs clean

install: all
	$(MAKE) -C $(KDIR) M=$(CURDIR) INSTALL_MOD_DIR=extra modules_install
	depmod -a $(KVER)
	$(MAKE) -C userspace-ctl install PREFIX=$(PREFIX)

# The README's two commands: each first installs whatever is missing.
deps:
	@tests/install-deps.sh

demo: deps
	$(MAKE) all
	$(PYTHON) tests/demo.py

check: deps
	$(MAKE) all
	$(PYTHON) tests/run.py $(TESTS)

# Figures, not verdicts: move rate, forwarded syscall cost, CPU speed away.
bench:
	@tests/install-deps.sh bench
	$(MAKE) all
	$(PYTHON) tests/bench.py

# The long fuzzing run (tests/25-fuzz.py at 100000 frames of every type;
# `make check` runs it at 20). FUZZ_FRAMES=N for another size.
FUZZ_FRAMES ?= 100000
fuzz: deps
	$(MAKE) all
	$(PYTHON) tests/fuzz.py $(FUZZ_FRAMES)

.PHONY: all module migctl progs clean install deps demo check bench fuzz
