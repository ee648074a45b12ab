# SPDX-License-Identifier: GPL-2.0-or-later
# mediad — the one entry point. `make check` is what CI and newcomers run.
# Out-of-tree build in $(BUILD); sanitizer and clang builds are the same
# rules with another BUILD and CC.

VERSION   := 0.1
PREFIX    ?= /usr/local
SBINDIR   ?= $(PREFIX)/sbin
# mount(8) looks for mount.TYPE helpers only in /sbin (and /sbin/fs.d)
MOUNTHELPERDIR ?= /sbin
BINDIR    ?= $(PREFIX)/bin
LIBEXECDIR ?= $(PREFIX)/lib/mediad
SYSCONFDIR ?= $(if $(filter /usr,$(PREFIX)),/etc,$(PREFIX)/etc)
DESTDIR   ?=
MANDIR    ?= $(PREFIX)/share/man
UDEVRULESDIR ?= $(PREFIX)/lib/udev/rules.d
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions

BUILD     ?= build
CC        ?= cc
CFLAGS    ?= -O2 -g
WARN      := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wstrict-prototypes \
             -Wmissing-prototypes -Wno-format-nonliteral
CPPFLAGS  += -std=c11 -D_GNU_SOURCE -DVERSION=\"$(VERSION)\" -Ilib -MMD -MP \
             -DLIBEXECDIR=\"$(LIBEXECDIR)\" -DMOUNT_HELPER=\"$(MOUNTHELPERDIR)/mount.mediad\"
SAN       ?=
ALL_CFLAGS = $(WARN) $(CFLAGS) $(SAN)

PKGS_DAEMON := libudev blkid mount
DAEMON_CFLAGS := $(shell pkg-config --cflags $(PKGS_DAEMON) 2>/dev/null)
DAEMON_LIBS   := $(shell pkg-config --libs $(PKGS_DAEMON) 2>/dev/null) -lev

LIB_SRC    := lib/utf8.c lib/name.c lib/record.c lib/statedir.c lib/config.c lib/options.c lib/log.c \
              lib/mapentry.c lib/json.c lib/eject.c lib/fallback.c lib/diskseq.c lib/flush.c lib/sysfile.c lib/pcislot.c \
              lib/mountid.c lib/mediaction.c lib/run.c lib/unlockproto.c
DAEMON_SRC := daemon/main.c daemon/setup.c daemon/coldplug.c daemon/events.c daemon/later.c daemon/change.c \
              daemon/child.c daemon/monitor.c daemon/device.c \
              daemon/probe.c daemon/policy.c daemon/media.c daemon/publish.c \
              daemon/mounts.c daemon/devwatch.c daemon/mediapoll.c daemon/probejob.c daemon/probeworker.c daemon/optical.c \
              daemon/control.c daemon/hooks.c daemon/notify.c daemon/mountreport.c \
              daemon/dirty.c daemon/dirtydecide.c daemon/idleflush.c daemon/memtrim.c \
              daemon/crypt.c daemon/cryptctl.c daemon/cryptverb.c daemon/cryptlock.c daemon/cryptrun.c \
              daemon/cryptsys.c daemon/cryptkey.c daemon/backoff.c
CLI_SRC    := cli/medialist.c cli/state.c cli/table.c cli/jsonout.c cli/watch.c \
              cli/actions.c cli/unlock.c
CLI_LIBS   := -linotifytools

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))

LIB_OBJ    := $(call obj,$(LIB_SRC))
DAEMON_OBJ := $(call obj,$(DAEMON_SRC))
CLI_OBJ    := $(call obj,$(CLI_SRC))
# the pure parts of the daemon, linked into unit tests
DAEMON_PURE_OBJ := $(call obj,daemon/policy.c daemon/media.c daemon/dirtydecide.c)

UNIT_TESTS := name record config options media policy mapentry json fallback flush device child run dirty hooks unlock extsb
UNIT_BINS  := $(patsubst %,$(BUILD)/tests/test_%,$(UNIT_TESTS))

PROGS := $(BUILD)/mediad $(BUILD)/auto.media $(BUILD)/medialist $(BUILD)/mount.mediad \
         $(BUILD)/mediad-unlock

.PHONY: all check check-quick e2e deb livecd livecd-check desktop unit asan clang-build cppcheck clang-tidy fuzz fuzz-smoke stress \
        integration demo install deps clean
all: $(PROGS)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(DAEMON_CFLAGS) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/mediad: $(DAEMON_OBJ) $(LIB_OBJ)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(DAEMON_LIBS)

$(BUILD)/medialist: $(CLI_OBJ) $(LIB_OBJ)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(CLI_LIBS)

# auto.media links only lib/ and libc: no libudev, no libblkid.
MAP_OBJ := $(call obj,autofs-maps/auto_media.c lib/name.c lib/utf8.c lib/record.c lib/statedir.c \
             lib/config.c lib/options.c lib/mapentry.c lib/diskseq.c lib/sysfile.c)
$(BUILD)/auto.media: $(MAP_OBJ)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^

# mount.mediad, the mount helper behind auto.media's answers: libc only too
HELPER_SRC := autofs-maps/mount_mediad.c autofs-maps/mountrun.c autofs-maps/kreason.c autofs-maps/extsb.c
HELPER_OBJ := $(call obj,$(HELPER_SRC) lib/fallback.c lib/options.c lib/config.c \
             lib/record.c lib/statedir.c lib/utf8.c lib/name.c lib/log.c lib/diskseq.c lib/sysfile.c lib/run.c)
$(BUILD)/mount.mediad: $(HELPER_OBJ)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^

$(BUILD)/tests/test_%: tests/unit/test_%.c $(LIB_OBJ) $(DAEMON_PURE_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -Idaemon $(DAEMON_CFLAGS) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ -lcmocka

# extsb.c is mount.mediad's: its test links it alone
$(BUILD)/tests/test_extsb: tests/unit/test_extsb.c $(call obj,autofs-maps/extsb.c)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -Iautofs-maps $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ -lcmocka

# child.c runs real children on a real libev loop
$(BUILD)/tests/test_child: tests/unit/test_child.c $(call obj,daemon/child.c lib/log.c)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -Idaemon $(DAEMON_CFLAGS) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ -lcmocka -lev

# hooks.c runs its hooks through child.c on a libev loop: linked with both
$(BUILD)/tests/test_hooks: tests/unit/test_hooks.c $(call obj,daemon/hooks.c daemon/child.c) $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -Idaemon $(DAEMON_CFLAGS) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ -lcmocka -lev

# mediad-unlock, the one program that links libcryptsetup (mediad runs it
# with the secret on its stdin; daemon/cryptrun.c)
UNLOCK_SRC := unlock/mediad-unlock.c unlock/secret.c
UNLOCK_OBJ := $(call obj,$(UNLOCK_SRC) lib/unlockproto.c)
$(BUILD)/mediad-unlock: $(UNLOCK_OBJ)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $$(pkg-config --libs libcryptsetup)

# the unlock protocol, the back-off, sysfs and key_dir checks, the
# helper's secret buffer: pure parts, on a fake sysfs and real files
$(BUILD)/tests/test_unlock: tests/unit/test_unlock.c $(call obj,daemon/backoff.c \
  daemon/cryptsys.c daemon/cryptkey.c daemon/cryptrun.c daemon/child.c unlock/secret.c) $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -Idaemon -Iunlock $(DAEMON_CFLAGS) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ -lcmocka -lev

# device.c reads libudev: its test links it too
$(BUILD)/tests/test_device: tests/unit/test_device.c $(call obj,daemon/device.c) $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -Idaemon $(DAEMON_CFLAGS) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ -lcmocka -ludev

# ---- tests ---------------------------------------------------------------
PROVE := prove --timer

unit: $(UNIT_BINS)
	CMOCKA_MESSAGE_OUTPUT=TAP $(PROVE) -e '' $(UNIT_BINS)

# Unit tests again under AddressSanitizer + UndefinedBehaviorSanitizer.
asan:
	$(MAKE) --no-print-directory BUILD=build/asan CC=clang \
	  SAN="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer" \
	  CFLAGS="-O1 -g" unit

# Warnings from clang as well as gcc: the whole tree built with clang.
clang-build:
	$(MAKE) --no-print-directory BUILD=build/clang CC=clang all $(UNIT_BINS:build/%=build/clang/%)

cppcheck:
	cppcheck --quiet --error-exitcode=1 --enable=warning,performance,portability \
	  --inline-suppr --std=c11 -D_GNU_SOURCE -Ilib -Idaemon \
	  --suppress=missingIncludeSystem lib daemon autofs-maps cli unlock

# checks and exceptions in .clang-tidy; any finding fails the build
# (one clang-tidy per core, a few files each: it takes 2 minutes alone)
TIDY_JOBS ?= $(shell nproc)
clang-tidy:
	printf '%s\n' $(LIB_SRC) $(DAEMON_SRC) $(CLI_SRC) autofs-maps/auto_media.c $(HELPER_SRC) \
	  $(UNLOCK_SRC) | xargs -P $(TIDY_JOBS) -n 6 sh -c 'exec clang-tidy --quiet "$$@" -- \
	  $(filter-out -MMD -MP,$(CPPFLAGS)) -Idaemon $(DAEMON_CFLAGS)' clang-tidy

integration: all
	tests/integration/run

# libFuzzer targets (tests/fuzz): FUZZ_SECONDS each; fuzz-smoke is the
# short run that `make check` can afford.
FUZZ_SECONDS ?= 60
fuzz:
	$(MAKE) --no-print-directory -f tests/fuzz/fuzz.mk fuzz-build
	tests/fuzz/run $(FUZZ_SECONDS)

fuzz-smoke:
	$(MAKE) --no-print-directory -f tests/fuzz/fuzz.mk fuzz-build
	tests/fuzz/run 4

# The long runs: storm.t with STRESS_CYCLES detach/attach cycles under
# valgrind on both event sources (`make check` runs the same count,
# `make check-quick` storm.t's short default), then every fuzz target for
# STRESS_FUZZ_SECONDS (not part of `make check`).
STRESS_CYCLES ?= 2000
STRESS_FUZZ_SECONDS ?= 600
# mediad's RSS over a storm without valgrind, sampled every 1,000 cycles:
# fails on growth after the first 1,000 (tests/bench/bench.py --stress)
STRESS_STORM_CYCLES ?= 10000
stress: all
	BUILD=$(BUILD) STRESS_STORM_CYCLES=$(STRESS_STORM_CYCLES) tests/bench/bench.py --stress
	STORM_CYCLES=$(STRESS_CYCLES) TESTS=storm.t PROVE_ARGS=-v tests/integration/run
	$(MAKE) --no-print-directory fuzz FUZZ_SECONDS=$(STRESS_FUZZ_SECONDS)

# Quick loop for development: everything on the host, no QEMU.
check-quick: all unit asan clang-build cppcheck clang-tidy desktop integration

# Everything, as CI runs it: host tests (the storm at its full 2,000
# cycles, as issue 8 asks), short fuzz and bench runs, the QEMU
# end-to-end suite, and the live CD built and booted.
# Each stage says how long it took (tests/timed), and all of them are
# listed again at the end, after a failure too: CI keeps only the tail.
CHECK_STAGES = all unit asan clang-build cppcheck clang-tidy desktop integration \
	fuzz-smoke bench-smoke e2e livecd-check
check: deps
	@mkdir -p $(BUILD); t=$(BUILD)/check-times; : >$$t; \
	for s in $(CHECK_STAGES); do \
		STORM_CYCLES=$(STRESS_CYCLES) TIMED_LOG=$$t tests/timed $$s \
			$(MAKE) --no-print-directory $$s || \
			{ echo "## make check FAILED in $$s; its stages:"; cat $$t; exit 1; }; \
	done; echo "## make check passed; its stages:"; cat $$t

# The Debian package (debian/, debhelper), written to build/deb/.
deb:
	dpkg-buildpackage -b -us -uc --no-pre-clean >/dev/null
	@ls build/deb/mediad_*_amd64.deb

# The live CD (livecd-build/): build/livecd/mediad-live.iso, and booted in
# QEMU with a stick plugged in and read through /media/list. FLAVOUR=desktop:
# build/livecd/mediad-live-desktop.iso (X, desktop/). livecd-check boots
# both (the desktop's build, its chroot session and its boot included).
livecd: deb
	$(MAKE) --no-print-directory -C livecd-build
livecd-check: livecd
	$(MAKE) --no-print-directory -C livecd-build check

# The desktop flavour's indicator (desktop/): gcc and clang builds, its
# dry-run test, cppcheck and clang-tidy; no X, no root.
desktop:
	$(MAKE) --no-print-directory -C desktop BUILD=$(BUILD) CC=$(CC) all check analyse
	$(MAKE) --no-print-directory -C desktop BUILD=$(BUILD)/clang CC=clang all

# QEMU end-to-end tests on Debian's kernel (tests/e2e, kernel cached in
# /var/cache/mediad/e2e).
e2e: all
	$(MAKE) --no-print-directory -C tests/e2e e2e TOP=$(CURDIR)

deps:
	@tests/install-deps

demo: all
	BUILD=$(BUILD) tests/demo

# Speed and footprint beside udisks2 and a shell map (tests/bench/bench.py):
# a table, and build/bench/results.json. bench-smoke: few repetitions.
.PHONY: bench bench-smoke
bench: deps all
	BUILD=$(BUILD) tests/bench/bench.py
bench-smoke: all
	BUILD=$(BUILD) tests/bench/bench.py --smoke

install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(SYSCONFDIR) $(DESTDIR)$(LIBEXECDIR) \
	  $(DESTDIR)$(SYSCONFDIR)/auto.master.d
	install -m 0755 $(BUILD)/mediad $(DESTDIR)$(SBINDIR)/mediad
	install -m 0755 $(BUILD)/auto.media $(DESTDIR)$(LIBEXECDIR)/auto.media
	install -m 0755 $(BUILD)/mediad-unlock $(DESTDIR)$(LIBEXECDIR)/mediad-unlock
	install -d $(DESTDIR)$(MOUNTHELPERDIR)
	install -m 0755 $(BUILD)/mount.mediad $(DESTDIR)$(MOUNTHELPERDIR)/mount.mediad
	# the master-map line comes from mediad itself, from the default
	# configuration: one source of truth for media_dir and expire_timeout
	{ echo '# mediad: media under <media_dir>/auto, mounted on demand by auto.media.'; \
	  echo '# Regenerate after changing media_dir or expire_timeout:'; \
	  echo '#   mediad --autofs-entry > /etc/auto.master.d/mediad.autofs'; \
	  $(BUILD)/mediad -c rules/mediad.conf --autofs-entry=$(LIBEXECDIR)/auto.media; } \
	  > $(DESTDIR)$(SYSCONFDIR)/auto.master.d/mediad.autofs
	test -e $(DESTDIR)$(SYSCONFDIR)/mediad.conf || \
	  install -m 0644 rules/mediad.conf $(DESTDIR)$(SYSCONFDIR)/mediad.conf
	# medialist, man pages, udev rules, init files, completion, hooks.d
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 \
	  $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(UDEVRULESDIR) $(DESTDIR)$(SYSTEMDUNITDIR) \
	  $(DESTDIR)$(SYSCONFDIR)/init.d $(DESTDIR)$(BASHCOMPDIR) \
	  $(DESTDIR)$(SYSCONFDIR)/mediad/hooks.d
	install -m 0755 $(BUILD)/medialist $(DESTDIR)$(BINDIR)/medialist
	install -m 0644 man/medialist.1 $(DESTDIR)$(MANDIR)/man1/medialist.1
	install -m 0644 man/mediad.conf.5 $(DESTDIR)$(MANDIR)/man5/mediad.conf.5
	install -m 0644 man/mediad.8 man/auto.media.8 man/mount.mediad.8 $(DESTDIR)$(MANDIR)/man8/
	install -m 0644 rules/60-mediad.rules $(DESTDIR)$(UDEVRULESDIR)/60-mediad.rules
	sed 's|/usr/sbin/mediad|$(SBINDIR)/mediad|g' rules/mediad.service \
	  > $(DESTDIR)$(SYSTEMDUNITDIR)/mediad.service
	chmod 0644 $(DESTDIR)$(SYSTEMDUNITDIR)/mediad.service
	sed 's|^DAEMON=/usr/sbin/mediad|DAEMON=$(SBINDIR)/mediad|' rules/mediad.init \
	  > $(DESTDIR)$(SYSCONFDIR)/init.d/mediad
	chmod 0755 $(DESTDIR)$(SYSCONFDIR)/init.d/mediad
	install -m 0644 cli/medialist.bash $(DESTDIR)$(BASHCOMPDIR)/medialist

clean:
	rm -rf build

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
