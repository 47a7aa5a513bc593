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

# The one version of mig: the module's MODULE_VERSION, migctl's, DKMS's.
VERSION := $(shell cat VERSION)

# make install: DESTDIR stages everything under another root (then
# depmod is not run); PREFIX /usr puts migctl in /usr/sbin.
DESTDIR ?=
PREFIX ?= /usr/local
SBINDIR ?= $(PREFIX)/sbin
MANDIR ?= $(PREFIX)/share/man
DOCDIR ?= $(PREFIX)/share/doc/mig
UNITDIR ?= $(PREFIX)/lib/systemd/system
COMPLETIONDIR ?= $(PREFIX)/share/bash-completion/completions
SYSCONFDIR ?= /etc
INSTALL ?= install
# Where service-files writes mig.service.
O ?= systemd

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
	rm -f systemd/mig.service

# The systemd unit, with the path migctl is installed at.
service-files:
	mkdir -p $(O)
	sed 's|@SBINDIR@|$(SBINDIR)|g' systemd/mig.service.in > $(O)/mig.service

# The module, migctl, the unit, the modprobe.d options (an existing one is
# kept), the man pages, the bash completion and an example cluster map.
install: all service-files
	$(MAKE) -C $(KDIR) M=$(CURDIR) INSTALL_MOD_DIR=extra \
		INSTALL_MOD_PATH=$(DESTDIR) modules_install
	test -n "$(DESTDIR)" || depmod -a $(KVER)
	$(MAKE) -C userspace-ctl install DESTDIR=$(DESTDIR) SBINDIR=$(SBINDIR)
	$(INSTALL) -D -m 0644 systemd/mig.service $(DESTDIR)$(UNITDIR)/mig.service
	test -e $(DESTDIR)$(SYSCONFDIR)/modprobe.d/mig.conf || \
		$(INSTALL) -D -m 0644 systemd/mig-modprobe.conf \
			$(DESTDIR)$(SYSCONFDIR)/modprobe.d/mig.conf
	$(INSTALL) -d -m 0755 $(DESTDIR)$(SYSCONFDIR)/mig
	$(INSTALL) -D -m 0644 systemd/cluster.conf.example \
		$(DESTDIR)$(DOCDIR)/cluster.conf.example
	$(INSTALL) -D -m 0644 man/migctl.8 $(DESTDIR)$(MANDIR)/man8/migctl.8
	$(INSTALL) -D -m 0644 man/mig.7 $(DESTDIR)$(MANDIR)/man7/mig.7
	$(INSTALL) -D -m 0644 completion/migctl \
		$(DESTDIR)$(COMPLETIONDIR)/migctl
	test -n "$(DESTDIR)" || ! command -v systemctl >/dev/null || \
		systemctl daemon-reload 2>/dev/null || true

# DKMS: the module's sources in /usr/src/mig-VERSION, then dkms builds and
# installs it for KVER, and for every kernel installed later.
DKMS_SRC := $(DESTDIR)/usr/src/mig-$(VERSION)
KMOD_SRCS := $(filter-out %.mod.c,$(wildcard kmod/*.c)) $(wildcard kmod/*.h)

dkms-src:
	@grep -qx 'PACKAGE_VERSION="$(VERSION)"' dkms.conf || \
		{ echo "dkms.conf: PACKAGE_VERSION is not $(VERSION) (VERSION)" >&2; exit 1; }
	rm -rf $(DKMS_SRC)
	$(INSTALL) -d $(DKMS_SRC)/kmod $(DKMS_SRC)/uapi
	$(INSTALL) -m 0644 Kbuild VERSION dkms.conf $(DKMS_SRC)/
	$(INSTALL) -m 0644 kmod/Kbuild $(KMOD_SRCS) $(DKMS_SRC)/kmod/
	$(INSTALL) -m 0644 uapi/*.h $(DKMS_SRC)/uapi/

dkms-install: dkms-src
	dkms status -m mig -v $(VERSION) | grep -q . || dkms add -m mig -v $(VERSION)
	dkms build -m mig -v $(VERSION) -k $(KVER)
	dkms install -m mig -v $(VERSION) -k $(KVER)

dkms-uninstall:
	dkms remove -m mig -v $(VERSION) --all
	rm -rf $(DKMS_SRC)

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

.PHONY: all module migctl progs clean install service-files deps demo check \
	bench fuzz dkms-src dkms-install dkms-uninstall
