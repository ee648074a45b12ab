# SPDX-License-Identifier: GPL-2.0-or-later
# libFuzzer targets (clang, ASan + UBSan), driven from the top-level
# Makefile: `make fuzz` (FUZZ_SECONDS each, default 60) and `make
# fuzz-smoke` (a few seconds each, part of `make check`). Built in
# build/fuzz, apart from the programs: every object is instrumented.

FUZZ_BUILD ?= build/fuzz
FUZZ_CC    ?= clang
FUZZ_FLAGS := -std=c11 -D_GNU_SOURCE -DVERSION=\"fuzz\" -Ilib -Idaemon -Itests/fuzz \
              -g -O1 -fno-omit-frame-pointer -Wall -Wextra -Werror \
              -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all
FUZZ_LINK  := -fsanitize=fuzzer,address,undefined

FUZZ_TARGETS := record name key mapentry config control udev

FUZZ_LIB_SRC := lib/utf8.c lib/name.c lib/record.c lib/statedir.c lib/config.c lib/options.c \
                lib/log.c lib/mapentry.c lib/json.c lib/eject.c lib/flush.c lib/sysfile.c lib/pcislot.c lib/mountid.c \
                lib/mediaction.c
fobj = $(patsubst %.c,$(FUZZ_BUILD)/obj/%.o,$(1))

# what each target links besides lib/
EXTRA_name    := daemon/media.c
EXTRA_control := daemon/control.c daemon/media.c daemon/child.c
LIBS_control  := -lev
EXTRA_udev    := daemon/device.c
LIBS_udev     := -ludev

FUZZ_BINS := $(patsubst %,$(FUZZ_BUILD)/fuzz_%,$(FUZZ_TARGETS))

.PHONY: fuzz-build
fuzz-build: $(FUZZ_BINS)

$(FUZZ_BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) -MMD -MP -c -o $@ $<

$(FUZZ_BUILD)/libfuzzlib.a: $(call fobj,$(FUZZ_LIB_SRC))
	rm -f $@ && ar rcs $@ $^

.SECONDEXPANSION:
$(FUZZ_BUILD)/fuzz_%: $(FUZZ_BUILD)/obj/tests/fuzz/fuzz_%.o $$(call fobj,$$(EXTRA_$$*)) \
		$(FUZZ_BUILD)/libfuzzlib.a
	$(FUZZ_CC) $(FUZZ_LINK) -o $@ $^ $(LIBS_$*)

-include $(shell find $(FUZZ_BUILD)/obj -name '*.d' 2>/dev/null)
