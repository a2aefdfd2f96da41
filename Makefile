# Exporter suite: one binary per subsystem, one shared library in common/.
#
#   make                      build every exporter into bin/
#   make test                 build and run the whole test suite
#   make test T=node          only node_exporter's tests (T=common: the shared ones)
#   make fuzz FUZZ_TIME=60    run every fuzz target for FUZZ_TIME seconds
#   make SANITIZER=address    (or undefined, or address,undefined) instrumented build
#   make install PREFIX=/usr/local DESTDIR=
#   make deb / make rpm       one package per exporter into build/packages/{deb,rpm}
#   make V=1                  show the commands

# Every directory with a main.c is an exporter; its build.mk may set
# <name>_PKGS (pkg-config packages) and <name>_GEN (generated sources).
EXPORTERS := $(patsubst %/main.c,%,$(sort $(wildcard */main.c)))

.DEFAULT_GOAL := all

PREFIX ?= /usr/local
BINDIR_INSTALL = $(PREFIX)/bin
MANDIR = $(PREFIX)/share/man
DESTDIR ?=

CC ?= cc
PKG_CONFIG ?= pkg-config
STD := -std=c11 -D_DEFAULT_SOURCE -D_POSIX_C_SOURCE=200809L
WARN := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 \
	-Wvla -Wwrite-strings -Wundef -Wconversion -Wno-sign-conversion -Wpointer-arith \
	-Wno-missing-field-initializers
WERROR ?= -Werror
OPT ?= -O2
DEBUG ?= -g

VERSION := $(shell cat VERSION 2>/dev/null || echo 0.0.0)
REVISION := $(shell git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
BRANCH := $(shell git symbolic-ref --short -q HEAD 2>/dev/null || echo unknown)
DEFS := -DSUITE_VERSION='"$(VERSION)"' -DSUITE_REVISION='"$(REVISION)"' -DSUITE_BRANCH='"$(BRANCH)"'

comma := ,
ifeq ($(SANITIZER),)
  VARIANT := default
  SANFLAGS :=
else
  VARIANT := $(subst $(comma),-,$(SANITIZER))
  SANFLAGS := -fsanitize=$(SANITIZER) -fno-omit-frame-pointer -fno-sanitize-recover=all
  OPT := -O1
endif

BUILD ?= build/$(VARIANT)
ifeq ($(SANITIZER),)
  BINDIR ?= bin
else
  BINDIR ?= $(BUILD)/bin
endif

COMMON_PKGS := libmicrohttpd gnutls libpcre2-8 zlib yaml-0.1 libcrypt
PKG_CFLAGS = $(if $(strip $(1)),$(shell $(PKG_CONFIG) --cflags $(1)))
PKG_LIBS = $(if $(strip $(1)),$(shell $(PKG_CONFIG) --libs $(1)))

FINAL_CFLAGS = $(STD) $(WARN) $(WERROR) $(OPT) $(DEBUG) $(SANFLAGS) $(DEFS) $(CFLAGS) -MMD -MP
FINAL_LDFLAGS = $(SANFLAGS) $(LDFLAGS)
COMMON_LIBS = $(call PKG_LIBS,$(COMMON_PKGS)) -Wl,--as-needed -lpthread -lm

ifeq ($(V),1)
  Q :=
  say :=
else
  Q := @
  say = @printf '  %-6s %s\n' $(1) $(2);
endif

COMMON_SRC := $(wildcard common/*.c)
COMMON_OBJ := $(COMMON_SRC:%.c=$(BUILD)/%.o)
LIBCOMMON := $(BUILD)/libcommon.a

$(foreach e,$(EXPORTERS),$(eval $(e)_SRC := $(sort $(wildcard $(e)/*.c $(e)/*/*.c))))
include $(wildcard */build.mk)

# The collector list of every exporter with a collectors/ directory, from its
# file names: <exporter>/collectors/<name>.c defines `const struct collector_def
# collector_<name>`; the list is exporter_collectors[] (common/exporter.h), in
# name order.
define collector_list
$(1)_COLLECTORS := $$(sort $$(basename $$(notdir $$(wildcard $(1)/collectors/*.c))))
$(1)_GEN += $$(BUILD)/$(1)/collector_list.c
$$(BUILD)/$(1)/collector_list.c: $$(wildcard $(1)/collectors/*.c) Makefile
	@mkdir -p $$(dir $$@)
	$$(call say,GEN,$$@){ echo '#include "../../../common/exporter.h"'; \
	  for c in $$($(1)_COLLECTORS); do echo "extern const struct collector_def collector_$$$$c;"; done; \
	  echo 'const struct collector_def *const exporter_collectors[] = {'; \
	  for c in $$($(1)_COLLECTORS); do echo "	&collector_$$$$c,"; done; \
	  echo '};'; \
	  echo 'const size_t exporter_ncollectors = sizeof exporter_collectors / sizeof exporter_collectors[0];'; } > $$@
endef
$(foreach e,$(EXPORTERS),$(if $(wildcard $(e)/collectors/*.c),$(eval $(call collector_list,$(e)))))

all: $(EXPORTERS:%=$(BINDIR)/%)

# Made afresh: ar would keep the object of a source that has since been removed.
$(LIBCOMMON): $(COMMON_OBJ)
	$(call say,AR,$@)rm -f $@ && $(AR) rcs $@ $^

$(BUILD)/common/%.o: common/%.c
	@mkdir -p $(dir $@)
	$(call say,CC,$<)$(CC) $(FINAL_CFLAGS) $(call PKG_CFLAGS,$(COMMON_PKGS)) -c -o $@ $<

define exporter_rules
$(1)_OBJ := $$($(1)_SRC:%.c=$$(BUILD)/%.o) $$($(1)_GEN:%.c=%.o)
$$(BUILD)/$(1)/%.o: $$(BUILD)/$(1)/%.c
	$$(call say,CC,$$<)$$(CC) $$(FINAL_CFLAGS) -c -o $$@ $$<
$$(BUILD)/$(1)/%.o: $(1)/%.c
	@mkdir -p $$(dir $$@)
	$$(call say,CC,$$<)$$(CC) $$(FINAL_CFLAGS) $$(call PKG_CFLAGS,$$($(1)_PKGS)) -c -o $$@ $$<
$$(BINDIR)/$(1): $$($(1)_OBJ) $$(LIBCOMMON)
	@mkdir -p $$(dir $$@)
	$$(call say,LD,$$@)$$(CC) $$(FINAL_LDFLAGS) -o $$@ $$($(1)_OBJ) $$(LIBCOMMON) $$(call PKG_LIBS,$$($(1)_PKGS)) $$(COMMON_LIBS)
endef
$(foreach e,$(EXPORTERS),$(eval $(call exporter_rules,$(e))))

# ---- tests ----
# Unit tests: one check program per tests/unit/check_*.c, linked with the
# common library and the exporter objects it names in its first line
# ("// links: node_exporter").
UNIT_SRC := $(wildcard tests/unit/check_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
CHECK_CFLAGS = $(call PKG_CFLAGS,check)
CHECK_LIBS = $(call PKG_LIBS,check)

unit_links = $(shell sed -n '1s|^// links: ||p' $(1))
unit_objs = $(foreach e,$(call unit_links,$(1)),$(filter-out $(BUILD)/$(e)/main.o,$($(e)_OBJ)))
unit_pkgs = $(foreach e,$(call unit_links,$(1)),$($(e)_PKGS))

.SECONDEXPANSION:
$(BUILD)/tests/%: tests/unit/%.c $(LIBCOMMON) $$(call unit_objs,tests/unit/%.c)
	@mkdir -p $(dir $@)
	$(call say,CC,$<)$(CC) $(FINAL_CFLAGS) -Wno-missing-prototypes -Wno-write-strings $(CHECK_CFLAGS) \
		$(call PKG_CFLAGS,$(COMMON_PKGS) $(call unit_pkgs,$<)) -o $@ $< \
		$(call unit_objs,$<) $(LIBCOMMON) $(call PKG_LIBS,$(call unit_pkgs,$<)) $(COMMON_LIBS) $(CHECK_LIBS)

unit-bins: $(UNIT_BIN)

# Fuzz targets: every tests/fuzz/<name>.c defines LLVMFuzzerTestOneInput and,
# like a unit test, names in its first line the exporters whose objects it
# links; tests/fuzz/corpus/<name>/ is its seed corpus, which a unit test
# (check_*_corpus) replays in every pass. `make fuzz` builds them with clang
# (coverage, ASan+UBSan) in build/fuzz and runs each for FUZZ_TIME seconds;
# new inputs go to build/fuzz/corpus/<name>/, findings to build/fuzz/<name>-*.
FUZZ_TARGETS := $(patsubst tests/fuzz/%.c,%,$(wildcard tests/fuzz/*.c))
FUZZ_TIME ?= 60
FUZZ_CC ?= clang

$(BUILD)/fuzz/%: tests/fuzz/%.c $(LIBCOMMON) $$(call unit_objs,tests/fuzz/%.c)
	@mkdir -p $(dir $@)
	$(call say,FUZZLD,$@)$(CC) $(FINAL_CFLAGS) -fsanitize=fuzzer -Wno-missing-prototypes \
		$(call PKG_CFLAGS,$(COMMON_PKGS) $(call unit_pkgs,$<)) -o $@ $< \
		$(call unit_objs,$<) $(LIBCOMMON) $(call PKG_LIBS,$(call unit_pkgs,$<)) $(COMMON_LIBS)

fuzz-bins: $(FUZZ_TARGETS:%=$(BUILD)/fuzz/%)

fuzz:
	@command -v $(FUZZ_CC) >/dev/null || { echo "make fuzz: $(FUZZ_CC) is not installed (scripts/install-deps test)"; exit 1; }
	@$(MAKE) --no-print-directory CC=$(FUZZ_CC) SANITIZER=fuzzer-no-link,address,undefined \
		WERROR= BUILD=build/fuzz fuzz-bins
	@tests/run-fuzz build/fuzz/fuzz $(FUZZ_TIME) $(FUZZ_TARGETS)

# The whole suite: unit, conformance and integration tests, then the same
# again built with ASan+UBSan (GCC) and with clang's UBSan and
# float-cast-overflow. Ends with "N passed, N failed".
# T=<exporter> (node, pg, redis...) or T=common runs one group's tests
# (tests/lib/groups.sh); FUZZ_TIME=<s> adds one bounded run of `make fuzz`.
test:
	@tests/run-all

# One pass of the suite against the binaries of this build variant.
test-pass: all unit-bins
	@BUILD=$(BUILD) BINDIR=$(BINDIR) tests/run-pass

check-style:
	@tests/check-style.sh

# The build directory of these make arguments (tests/run-all).
print-build:
	@echo $(BUILD)

# ---- install ----
install: all
	install -d $(DESTDIR)$(BINDIR_INSTALL) $(DESTDIR)$(MANDIR)/man1
	for e in $(EXPORTERS); do install -m 0755 $(BINDIR)/$$e $(DESTDIR)$(BINDIR_INSTALL)/$$e; done
	for e in $(EXPORTERS); do [ ! -f man/$$e.1 ] || install -m 0644 man/$$e.1 $(DESTDIR)$(MANDIR)/man1/$$e.1; done

# ---- packages (packaging/) ----
# One Debian package / RPM per exporter, built from a copy of the source.
deb:
	@packaging/build-deb build/packages/deb

rpm:
	@packaging/build-rpm build/packages/rpm

uninstall:
	for e in $(EXPORTERS); do rm -f $(DESTDIR)$(BINDIR_INSTALL)/$$e $(DESTDIR)$(MANDIR)/man1/$$e.1; done

clean:
	rm -rf build bin

.PHONY: all test test-pass unit-bins fuzz fuzz-bins check-style print-build install uninstall clean deb rpm

-include $(shell find build -name '*.d' 2>/dev/null)
