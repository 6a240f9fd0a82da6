# backbone - schema-to-backend compiler.
#
#   make            build ./backbone
#   make run        generate the example blog project into out/ and test it
#   make test       every test: unit, integration, sanitizers, end to end
#   make asan       ASan + UBSan build and its test run
#   make bench      benchmarks (prints figures)
#   make fuzz       bounded libFuzzer runs (FUZZ_SECONDS each)
#   make install PREFIX=/usr/local
#   make format     clang-format the C sources
#
# Variants build into build/<variant>/: release (default) and asan.

VARIANT ?= release
# BUILD_DIR lets several builds of one tree run side by side.
BUILD_DIR ?= build
B := $(BUILD_DIR)/$(VARIANT)
PREFIX ?= /usr/local
FUZZ_SECONDS ?= 30

PKGS := libcjson libpcre2-8 zlib
# libcurl, libmicrohttpd and hiredis: headers only. src/base/http.c,
# src/server/httpd.c and src/server/redis.c load them at run time, when
# first used (base/dynlib.h), so a command that needs none (validate) does
# not pay for loading them and their ~30 dependencies.
PKGS_DLOPEN := libcurl libmicrohttpd hiredis
# The pkg-config answers are computed on first use, inside a recipe, not
# when make reads this file: on a fresh machine the -dev packages only
# exist once the deps step (a prerequisite of every build) has run.
# $(call lazy,VAR,command) runs command once and keeps its output in VAR.
lazy = $(eval $(1) := $$(shell $(2)))$($(1))
PKG_CFLAGS = $(call lazy,PKG_CFLAGS,pkg-config --cflags $(PKGS) $(PKGS_DLOPEN) 2>/dev/null)
PKG_LIBS = $(call lazy,PKG_LIBS,pkg-config --libs $(PKGS) 2>/dev/null)
CMOCKA_LIBS = $(call lazy,CMOCKA_LIBS,pkg-config --libs cmocka 2>/dev/null || echo -lcmocka)

CC ?= cc
WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wformat=2 -Wno-format-nonliteral
CFLAGS_COMMON = -std=c11 -D_GNU_SOURCE -g $(WARN) -Isrc -I$(B)/gen $(PKG_CFLAGS)
ifeq ($(VARIANT),asan)
CFLAGS_VARIANT := -O1 -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
LDFLAGS_VARIANT := -fsanitize=address,undefined
else
CFLAGS_VARIANT := -O2
LDFLAGS_VARIANT :=
endif
ALL_CFLAGS = $(CFLAGS_COMMON) $(CFLAGS_VARIANT) $(CFLAGS)
# --as-needed: a library none of our code calls is not loaded.
ALL_LDFLAGS := -Wl,--as-needed $(LDFLAGS_VARIANT) $(LDFLAGS)
LIBS = $(PKG_LIBS) -lpthread -lm -ldl

# The source tree is layered, one folder per layer (docs/architecture.md);
# every .c under src/ is part of the library but the program's main.c.
LAYER_ORDER := base diag json llm front plan render review pipeline migrate output server cli
LAYERS := $(subst +, ,$(LAYER_ORDER))
LIB_SRC := $(filter-out src/cli/main.c,$(wildcard $(LAYERS:%=src/%/*.c)))
C_FILES := $(wildcard $(LAYERS:%=src/%/*.[ch])) $(wildcard tests/unit/*.[ch]) $(wildcard fuzz/*.c)
# Templates are embedded in the binary (generated C source).
TEMPLATES := $(shell find templates -type f -name '*.mustache' 2>/dev/null | LC_ALL=C sort)
GEN_SRC := $(B)/gen/embedded_templates.c
LIB_OBJ := $(LIB_SRC:%.c=$(B)/%.o) $(B)/gen/embedded_templates.o
LIB := $(B)/libbackbone.a
BIN := $(B)/backbone

UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(B)/tests/%)
INTEGRATION := $(sort $(wildcard tests/integration/*.sh))

.PHONY: all run test unit integration e2e asan bench fuzz install clean format deps deps-test lint
.DELETE_ON_ERROR:

all: deps $(BIN)
ifeq ($(VARIANT)$(BUILD_DIR),releasebuild)
	@ln -sf $(BIN) backbone
endif

# DEPS_SCRIPT installs what is missing (tests put a stand-in here to play a
# fresh machine whose packages appear only once this step has run).
DEPS_SCRIPT ?= scripts/deps.sh

deps:
	@$(DEPS_SCRIPT) build

deps-test:
	@scripts/deps.sh test

# Order-only: the packages are checked before the first compile, never a
# reason to recompile.
$(B)/%.o: %.c | deps
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

$(GEN_SRC): scripts/embed_templates.sh $(TEMPLATES)
	@mkdir -p $(dir $@)
	@scripts/embed_templates.sh templates > $@

$(B)/gen/embedded_templates.o: $(GEN_SRC)
	@echo "  CC      $<"
	@$(CC) $(ALL_CFLAGS) -c $< -o $@

$(LIB): $(LIB_OBJ)
	@rm -f $@
	@ar rcs $@ $^

$(BIN): $(B)/src/cli/main.o $(LIB)
	@echo "  LD      $@"
	@$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

$(B)/tests/%: tests/unit/%.c $(LIB) $(wildcard tests/unit/*.h)
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	@$(CC) $(ALL_CFLAGS) -Itests/unit $(ALL_LDFLAGS) -o $@ $< $(LIB) $(LIBS) $(CMOCKA_LIBS)

# Unit tests: each cmocka binary runs from the repository root, so tests
# read ../shared/ by that relative path.
# Every suite runs even after a failure; the target fails at the end and
# names the suites that failed.
# A check that cannot run where it is (a tool missing) is reported as
# skipped, by name, in the summary: never counted as passed in silence.
unit: $(UNIT_BIN)
	@rm -f $(B)/unit-failed; : >$(B)/unit-skips; for t in $(UNIT_BIN); do echo "== $$t"; \
	{ $$t 2>&1 || echo "$${t##*/}" >>$(B)/unit-failed; } | tee $(B)/unit-last; \
	sed -n "/test(s)/!s/^\[  SKIPPED \] \(.*\)/$${t##*/}: \1/p" $(B)/unit-last | sort -u >>$(B)/unit-skips; done; \
	if [ -s $(B)/unit-failed ]; then echo "unit: FAILED:" $$(cat $(B)/unit-failed); rm -f $(B)/unit-failed; exit 1; fi; \
	echo "unit: $(words $(UNIT_BIN)) suites passed ($(VARIANT)), $$(wc -l <$(B)/unit-skips) tests skipped"; \
	sed 's/^/  skipped: /' $(B)/unit-skips

# Integration tests drive the real binary: BACKBONE names it.
integration: $(BIN)
	@failed=""; : >$(B)/integration-skips; for t in $(INTEGRATION); do echo "== $$t"; \
	BACKBONE=$(CURDIR)/$(BIN) BB_SKIP_LOG=$(CURDIR)/$(B)/integration-skips sh $$t || failed="$$failed $${t##*/}"; done; \
	if [ -n "$$failed" ]; then echo "integration: FAILED:$$failed"; exit 1; fi; \
	echo "integration: $(words $(INTEGRATION)) suites passed ($(VARIANT)), $$(wc -l <$(B)/integration-skips) checks skipped"; \
	sed 's/^/  skipped: /' $(B)/integration-skips

# End to end: generate every example and run the generated projects' own
# tests with /usr/bin/python3 against SQLite and a private PostgreSQL.
e2e: $(BIN)
	@BACKBONE=$(CURDIR)/$(BIN) sh tests/e2e/run.sh

# Every diagnostic code the tests make backbone emit is recorded here
# (src/diag/diag.c), and the run fails if a code of codes.h never was.
DIAG_RECORD := $(CURDIR)/$(BUILD_DIR)/diag-codes.seen

test: deps-test
	$(MAKE) all
	$(MAKE) lint
	@rm -f $(DIAG_RECORD)
	BACKBONE_DIAG_RECORD=$(DIAG_RECORD) $(MAKE) unit integration
	BACKBONE_DIAG_RECORD=$(DIAG_RECORD) $(MAKE) VARIANT=asan unit integration
	BACKBONE_DIAG_RECORD=$(DIAG_RECORD) $(MAKE) e2e
	@sh scripts/check_codes_seen.sh $(DIAG_RECORD)
	@echo "backbone: all test suites passed"

asan: deps-test
	$(MAKE) VARIANT=asan all unit integration

run: deps-test all
	@sh scripts/run_example.sh

bench: all
	@scripts/deps.sh bench
	@sh bench/run.sh

fuzz: deps-test
	@FUZZ_SECONDS=$(FUZZ_SECONDS) sh fuzz/run.sh

install: all
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 755 $(BIN) $(DESTDIR)$(PREFIX)/bin/backbone

format:
	clang-format -i $(C_FILES)

# Style gate (part of make test): clang-format clean, and none of the
# string functions that cannot be given a size.
lint:
	@clang-format --dry-run -Werror $(C_FILES)
	@sh scripts/check_layers.sh $(LAYER_ORDER)
	@if grep -nE '\<(sprintf|vsprintf|strcpy|strcat|atoi|atol|gets)[[:space:]]*\(' \
		$(LIB_SRC) src/cli/main.c; then echo "lint: banned function (use snprintf, bb_buf, strtol)"; exit 1; fi
	@echo "lint: clean"

clean:
	rm -rf build backbone out

-include $(shell find $(B) -name '*.d' 2>/dev/null)
