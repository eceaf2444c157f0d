# dbv - one non-recursive Makefile.
#
#   make                      build every tool into bin/
#   make check                build and run every test
#   make SANITIZE=address,undefined check
#   make fuzz [FUZZ_TIME=20]  run each libFuzzer harness for a bounded time
#   make bench                run the benchmarks in bench/
#   make install PREFIX=/usr/local DESTDIR=
#   make demo                 the main job (pipelines/demo.mk)

PREFIX    ?= /usr/local
.DEFAULT_GOAL := all
DESTDIR   ?=
CC        ?= cc
OPT       ?= -O2
SANITIZE  ?=
FUZZ_TIME ?= 20

comma := ,
ifeq ($(SANITIZE),)
BUILD := build/obj
BIN   := bin
SANFLAGS :=
else
BUILD := build/san-$(subst $(comma),-,$(SANITIZE))
BIN   := $(BUILD)/bin
SANFLAGS := -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
endif

# Dependencies found through pkg-config; scripts/deps checks them (and on
# Debian as root installs what is missing) and writes build/config.mk.
PKGS := openblas msgpack libpng zlib
NOCONFIG_GOALS := clean distclean help
ifeq ($(filter-out $(NOCONFIG_GOALS),$(MAKECMDGOALS))$(if $(MAKECMDGOALS),,x),)
else
-include build/config.mk
endif
build/config.mk: scripts/deps
	@mkdir -p build
	sh scripts/deps --write $@

WARN    := -Wall -Wextra -Wshadow -Wpointer-arith -Wstrict-prototypes -Wmissing-prototypes -Wno-unused-parameter
CFLAGS  ?= $(OPT) -g
ALL_CFLAGS = -std=gnu11 -D_GNU_SOURCE $(CFLAGS) $(WARN) $(SANFLAGS) -Ilib -Itools $(PKG_CFLAGS) -MMD -MP
ALL_LDFLAGS = $(LDFLAGS) $(SANFLAGS)
LIBS = $(PKG_LIBS) -lm -lpthread

LIB_SRC   := $(sort $(wildcard lib/*/*.c))
LIB_OBJ   := $(LIB_SRC:%.c=$(BUILD)/%.o)
LIBDBV    := $(BUILD)/libdbv.a
TOOL_SRC  := $(sort $(wildcard tools/dbv-*.c))
TOOLLIB   := $(BUILD)/tools/tool.o
TOOLS     := $(TOOL_SRC:tools/%.c=$(BIN)/%)
UNIT_SRC  := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN  := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
SH_TESTS  := $(sort $(wildcard tests/sh/t[0-9]*.sh))
BENCH_SRC := $(sort $(wildcard bench/*.c))
BENCH_BIN := $(BENCH_SRC:bench/%.c=$(BUILD)/bench/%)
MANS      := $(sort $(wildcard man/*.[157]))

.PHONY: all check layer-check unit-test sh-test fuzz bench install uninstall clean distclean help demo
.DELETE_ON_ERROR:
.SECONDARY:

all: $(TOOLS)

$(BUILD)/%.o: %.c build/config.mk
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(LIBDBV): $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BIN)/dbv-%: $(BUILD)/tools/dbv-%.o $(TOOLLIB) $(LIBDBV)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/tests/%: $(BUILD)/tests/unit/%.o $(LIBDBV)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/bench/%: $(BUILD)/bench/%.o $(TOOLLIB) $(LIBDBV)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

check: layer-check unit-test sh-test

layer-check:
	@sh scripts/check-layers

unit-test: $(UNIT_BIN)
	@set -e; for t in $(UNIT_BIN); do echo "== $$t"; DBV_TEST_TMP=$(BUILD)/tmp $$t; done

sh-test: $(TOOLS) $(BUILD)/tests/mkfixtures $(BUILD)/tests/mkstream $(BUILD)/tests/mkpred
	@BIN=$(abspath $(BIN)) TESTBIN=$(abspath $(BUILD)/tests) TMPROOT=$(or $(TMPROOT),$(abspath $(BUILD)/sh-tmp)) \
	  sh tests/sh/run.sh $(SH_TESTS)

$(BUILD)/tests/mkfixtures: tests/mkfixtures.c build/config.mk
	@mkdir -p $(@D)
	$(CC) -std=gnu11 $(CFLAGS) $(WARN) $(SANFLAGS) -o $@ $< $(PKG_LIBS)

$(BUILD)/tests/mkstream: $(BUILD)/tests/mkstream.o $(LIBDBV)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/tests/mkpred: $(BUILD)/tests/mkpred.o $(LIBDBV)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

# libFuzzer harnesses (clang).  Each runs FUZZ_TIME seconds.
FUZZ_SRC := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BIN := $(FUZZ_SRC:tests/fuzz/%.c=build/fuzz/%)
FUZZ_CC  ?= clang
build/fuzz/%: tests/fuzz/%.c $(LIB_SRC) $(wildcard lib/*.h lib/*/*.h) build/config.mk
	@mkdir -p $(@D)
	$(FUZZ_CC) -std=gnu11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined -Ilib $(PKG_CFLAGS) -o $@ $< $(LIB_SRC) $(LIBS)
fuzz: $(FUZZ_BIN)
	@set -e; for f in $(FUZZ_BIN); do \
	  n=$$(basename $$f); mkdir -p build/fuzz/corpus-$$n; \
	  echo "== $$n ($(FUZZ_TIME)s)"; \
	  $$f -max_total_time=$(FUZZ_TIME) -rss_limit_mb=2048 -artifact_prefix=build/fuzz/$$n- -max_len=65536 build/fuzz/corpus-$$n tests/fuzz/seeds/$$n 2>build/fuzz/$$n.log \
	    || { tail -40 build/fuzz/$$n.log; exit 1; }; \
	  grep '^#' build/fuzz/$$n.log | tail -1; done

bench: $(BENCH_BIN) $(TOOLS) $(BUILD)/tests/mkpred
	@set -e; for b in bench/*.sh; do BIN=$(abspath $(BIN)) BENCHBIN=$(abspath $(BUILD)/bench) sh $$b; done

# The study make files (with their summary script) and the scripts go to
# PREFIX/share/dbv; installed, the make files find the tools in PREFIX/bin
# (pipelines/common.mk).  scripts/check-layers checks this source tree
# and stays here.
SHARE_PIPELINES := $(sort $(wildcard pipelines/*.mk pipelines/*.sh))
SHARE_SCRIPTS   := $(filter-out scripts/check-layers,$(sort $(wildcard scripts/*)))
SHARE           := $(DESTDIR)$(PREFIX)/share/dbv

install: $(TOOLS)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 \
	  $(DESTDIR)$(PREFIX)/share/man/man5 $(DESTDIR)$(PREFIX)/share/man/man7 \
	  $(SHARE)/pipelines $(SHARE)/scripts
	install -m 755 $(TOOLS) $(DESTDIR)$(PREFIX)/bin/
	for m in $(MANS); do s=$${m##*.}; install -m 644 $$m $(DESTDIR)$(PREFIX)/share/man/man$$s/; done
	install -m 644 $(SHARE_PIPELINES) $(SHARE)/pipelines/
	install -m 755 $(SHARE_SCRIPTS) $(SHARE)/scripts/

uninstall:
	rm -f $(TOOLS:$(BIN)/%=$(DESTDIR)$(PREFIX)/bin/%)
	for m in $(MANS); do s=$${m##*.}; rm -f $(DESTDIR)$(PREFIX)/share/man/man$$s/$${m#man/}; done
	rm -f $(SHARE_PIPELINES:%=$(SHARE)/%) $(SHARE_SCRIPTS:%=$(SHARE)/%)
	rmdir $(SHARE)/pipelines $(SHARE)/scripts $(SHARE) 2>/dev/null || true

demo: $(TOOLS)
	@sh scripts/deps --data
	$(MAKE) -f pipelines/demo.mk BIN=$(abspath $(BIN))

clean:
	rm -rf build bin

distclean: clean

help:
	@sed -n '1,12p' Makefile

-include $(LIB_OBJ:.o=.d) $(TOOL_SRC:tools/%.c=$(BUILD)/tools/%.d) $(TOOLLIB:%.o=%.d) $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/unit/%.d) $(BENCH_SRC:bench/%.c=$(BUILD)/bench/%.d) $(BUILD)/tests/mkstream.d $(BUILD)/tests/mkpred.d
