# etlre: build, test, demo and install.
#   make                 build ./etlre
#   make check           unit tests (cmocka), the alert rules' tests (promtool) and
#                        integration tests against local servers (TEST_JOBS=3 files at a time)
#   make SANITIZE=1 ...  the same with AddressSanitizer + UndefinedBehaviorSanitizer
#   make demo            install what is missing, start local servers, load fixtures, run etlre
#   make install         PREFIX=/usr/local DESTDIR= ; make uninstall removes exactly those files
#   make deb             a Debian package (scripts/make-deb.sh); make lint-man checks the man pages
#   make lint-size       no function over 100 lines, no runner/ file over 800
#   make fuzz            libFuzzer targets (clang), FUZZ_SECONDS each (default 30)
#   make valgrind-check  unit tests and a few integration tests under valgrind

CC      ?= cc
PREFIX  ?= /usr/local
DESTDIR ?=
BUILD   ?= build

PKGS    := libpq libmariadb zlib inih libxxhash
CFLAGS  ?= -O2 -g
CFLAGS  += -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wmissing-prototypes -Wvla -Wformat=2 \
           -Wno-format-nonliteral -Wno-format-truncation -MMD -MP -pthread $(shell pkg-config --cflags $(PKGS))
LDLIBS  += $(shell pkg-config --libs $(PKGS)) -lcsv -lm -pthread

ifeq ($(SANITIZE),1)
BUILD   := build-san
CFLAGS  += -O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
LDFLAGS += -fsanitize=address,undefined
endif

SRCS    := $(wildcard runner/*.c)
OBJS    := $(SRCS:runner/%.c=$(BUILD)/%.o)
# modules that touch no database, linked directly into the unit tests
PURE    := util log json encode encode_binary copy_format chunk validate typemap errclass sqlquote config mariadb_url secrets canon canon_c progress metrics status
PURE_OBJS := $(PURE:%=$(BUILD)/%.o)
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)

BIN     := $(if $(filter 1,$(SANITIZE)),etlre-san,etlre)

# libFuzzer targets (tests/fuzz/fuzz_*.c): the pure modules rebuilt by clang
# with coverage and ASan + UBSan; each target runs FUZZ_SECONDS from its
# committed seeds (tests/fuzz/corpus/NAME), new inputs kept in build-fuzz/
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 30
FUZZ_BUILD   := build-fuzz
FUZZ_CFLAGS  := -g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined \
                -fno-sanitize-recover=all -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror \
                -Wmissing-prototypes -Wvla $(shell pkg-config --cflags $(PKGS))
FUZZ_OBJS    := $(PURE:%=$(FUZZ_BUILD)/%.o) $(FUZZ_BUILD)/target_pg.o $(FUZZ_BUILD)/target_pg_prepared.o \
                $(FUZZ_BUILD)/target_conninfo.o $(FUZZ_BUILD)/target_pg_cancel.o $(FUZZ_BUILD)/signals.o \
                $(FUZZ_BUILD)/target_pg_connect.o $(FUZZ_BUILD)/stoppable.o
FUZZ_BINS    := $(patsubst tests/fuzz/%.c,$(FUZZ_BUILD)/%,$(wildcard tests/fuzz/fuzz_*.c))

.PHONY: all check unit rules-check integration demo clean install uninstall deps servers fuzz \
	valgrind-check lint-size

all: $(BIN)

$(BIN): $(OBJS)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/%.o: runner/%.c | $(BUILD)
	$(CC) $(CFLAGS) -c -o $@ $<

$(BUILD):
	mkdir -p $(BUILD)/tests

$(BUILD)/tests/%: tests/unit/%.c tests/unit/unit.h $(PURE_OBJS) | $(BUILD)
	$(CC) $(CFLAGS) -Irunner $(LDFLAGS) -o $@ $< $(PURE_OBJS) $(LDLIBS) -lcmocka

unit: $(UNIT_BINS)
	@set -e; for t in $(UNIT_BINS); do echo "# $$t"; $$t; done

# the integration files TEST_JOBS at a time, each in databases of its own
# (those marked "# mostly waits:" first, in slots of their own on top);
# the files marked "# run alone:" afterwards, one by one (tests/integration/run.sh)
TEST_JOBS ?= 3
integration: $(BIN)
	ETLRE_BIN=$(CURDIR)/$(BIN) bash tests/integration/run.sh -j $(TEST_JOBS) --timer

# rules-check: the Prometheus alert rules are valid and pass their unit tests
PROM_RULES := packaging/prometheus/etlre.rules.yml
rules-check:
	@command -v promtool >/dev/null || { echo "rules-check: promtool is missing (bash scripts/install-deps.sh)"; exit 1; }
	promtool check rules $(PROM_RULES)
	cd $(dir $(PROM_RULES)) && promtool test rules etlre.rules.test.yml

# check installs what is missing first, then builds and runs the suites
check: deps
	$(MAKE) --no-print-directory lint-size unit rules-check integration

deps:
	bash scripts/install-deps.sh

servers:
	bash scripts/dev-db.sh start

demo:
	bash scripts/demo.sh

# --- install, uninstall, deb, lint-man ---
# make install PREFIX=/usr DESTDIR=/tmp/stage puts these files under
# DESTDIR+PREFIX; make uninstall (same PREFIX and DESTDIR) removes exactly
# them. The cron file goes to the docs' examples: a file in /etc/cron.d runs
# by itself, so copying it there is the administrator's decision. The systemd
# units do nothing until enabled, so they go where systemd finds them.
BINDIR  ?= $(PREFIX)/bin
DATADIR ?= $(PREFIX)/share
MANDIR  ?= $(DATADIR)/man
DOCDIR  ?= $(DATADIR)/doc/etlre
SQLDIR  ?= $(DATADIR)/etlre/sql
UNITDIR ?= $(PREFIX)/lib/systemd/system
SQL_FILES := $(wildcard sql/*/*.sql)
# DEST:SOURCE:MODE for every installed file but those generated into $(BUILD)/install
INSTALL_PLAIN := \
	$(BINDIR)/etlre:etlre:0755 \
	$(BINDIR)/etlre-nightly:scripts/etlre-nightly.sh:0755 \
	$(DOCDIR)/README.md:README.md:0644 \
	$(DOCDIR)/operations.md:docs/operations.md:0644 \
	$(DOCDIR)/examples/cron.d/etlre-nightly:packaging/cron/etlre-nightly:0644 \
	$(DOCDIR)/examples/prometheus/etlre.rules.yml:packaging/prometheus/etlre.rules.yml:0644 \
	$(DOCDIR)/examples/prometheus/etlre.rules.test.yml:packaging/prometheus/etlre.rules.test.yml:0644 \
	$(DOCDIR)/examples/logrotate.d/etlre:packaging/logrotate/etlre:0644 \
	$(UNITDIR)/etlre-nightly.timer:packaging/systemd/etlre-nightly.timer:0644 \
	$(foreach f,$(SQL_FILES),$(SQLDIR)/$(f:sql/%=%):$(f):0644)
INSTALL_GEN := \
	$(MANDIR)/man1/etlre.1.gz:$(BUILD)/install/etlre.1.gz:0644 \
	$(MANDIR)/man1/etlre-nightly.1.gz:$(BUILD)/install/etlre-nightly.1.gz:0644 \
	$(DOCDIR)/etlre.conf.example:$(BUILD)/install/etlre.conf.example:0644 \
	$(UNITDIR)/etlre-nightly.service:$(BUILD)/install/etlre-nightly.service:0644
INSTALL_FILES := $(INSTALL_PLAIN) $(INSTALL_GEN)

.PHONY: install-gen lint-man deb

# the generated files depend on PREFIX, so they are made again every time
install-gen: | $(BUILD)
	mkdir -p $(BUILD)/install
	gzip -9nc man/etlre.1 > $(BUILD)/install/etlre.1.gz
	gzip -9nc man/etlre-nightly.1 > $(BUILD)/install/etlre-nightly.1.gz
	sed -e 's#^; etlre.conf: the demo configuration#; etlre.conf.example: the demo configuration#' \
	    -e 's#127.0.0.1:3407/#127.0.0.1:3306/#' -e 's#127.0.0.1:5477/#127.0.0.1:5432/#' \
	    -e 's#^after_day = sql/#after_day = $(SQLDIR)/#' etlre.conf > $(BUILD)/install/etlre.conf.example
	sed 's#^ExecStart=/usr/local/bin/#ExecStart=$(BINDIR)/#' packaging/systemd/etlre-nightly.service \
	    > $(BUILD)/install/etlre-nightly.service

install: etlre install-gen
	@set -e; for e in $(INSTALL_FILES); do \
		dest=$${e%%:*}; rest=$${e#*:}; src=$${rest%%:*}; mode=$${rest##*:}; \
		echo "install $$src $(DESTDIR)$$dest"; \
		install -D -m $$mode "$$src" "$(DESTDIR)$$dest"; \
	done

uninstall:
	@for e in $(INSTALL_FILES); do echo "rm $(DESTDIR)$${e%%:*}"; rm -f "$(DESTDIR)$${e%%:*}"; done
	@# the directories that are etlre's alone, when nothing else was put in them
	@for d in $(SQLDIR)/mariadb $(SQLDIR)/postgres $(SQLDIR) $(DATADIR)/etlre \
		  $(DOCDIR)/examples/cron.d $(DOCDIR)/examples/prometheus $(DOCDIR)/examples/logrotate.d \
		  $(DOCDIR)/examples $(DOCDIR); do \
		rmdir "$(DESTDIR)$$d" 2>/dev/null || true; done

# the manual page must pass both formatters' checks without a warning
MAN_PAGES ?= man/etlre.1 man/etlre-nightly.1
lint-man:
	@command -v mandoc >/dev/null || { echo "lint-man: mandoc is missing (bash scripts/install-deps.sh)"; exit 1; }
	mandoc -Tlint -Wstyle $(MAN_PAGES)
	groff -man -ww -z $(MAN_PAGES) 2>&1 | { ! grep .; }

# the code's size rules: no function over 100 lines, no runner/ file over 800;
# the functions over 80 lines are listed too, as a warning
lint-size:
	@bash scripts/fn-length.sh -n 100 -f 800 -a 80 $(SRCS)

# a Debian package of 'make install PREFIX=/usr', in DEB_OUTDIR (default .)
deb: etlre
	bash scripts/make-deb.sh $(if $(DEB_OUTDIR),--output $(DEB_OUTDIR))

$(FUZZ_BUILD)/%.o: runner/%.c runner/*.h
	@mkdir -p $(FUZZ_BUILD)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

$(FUZZ_BUILD)/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h $(FUZZ_OBJS)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -Irunner -fsanitize=fuzzer -o $@ $< $(FUZZ_OBJS) $(LDLIBS)

# fuzz: stops at the first target that finds a crash, a leak or a broken
# property; the input is saved as build-fuzz/crash-* (see README.md, Hardening)
.SECONDARY: $(FUZZ_OBJS)

fuzz: $(FUZZ_BINS)
	@set -e; for f in $(FUZZ_BINS); do \
		name=$$(basename $$f); mkdir -p $(FUZZ_BUILD)/corpus/$$name; \
		echo "# $$name: $(FUZZ_SECONDS)s"; \
		$$f -max_total_time=$(FUZZ_SECONDS) -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
		    -close_fd_mask=2 -artifact_prefix=$(FUZZ_BUILD)/ \
		    $(FUZZ_BUILD)/corpus/$$name tests/fuzz/corpus/$$name; \
	done

# valgrind-check: the unit tests, then VALGRIND_TESTS with etlre run by
# tests/valgrind/etlre-valgrind; any memory error or definite leak fails it
# (exit 99 from valgrind, and a non-empty report in build/valgrind/)
VALGRIND       := valgrind --quiet --error-exitcode=99 --leak-check=full \
                  --errors-for-leak-kinds=definite --show-leak-kinds=definite
VALGRIND_TESTS ?= tests/integration/t10-process-day.t tests/integration/t20-invalid-rows.t \
                  tests/integration/t30-dry-run.t
VALGRIND_LOGS  := $(CURDIR)/build/valgrind

valgrind-check: $(BIN) $(UNIT_BINS)
	$(if $(filter 1,$(SANITIZE)),$(error valgrind-check runs the build without SANITIZE))
	@rm -rf $(VALGRIND_LOGS); mkdir -p $(VALGRIND_LOGS)
	@set -e; for t in $(UNIT_BINS); do echo "# valgrind $$t"; \
		$(VALGRIND) --log-file=$(VALGRIND_LOGS)/$$(basename $$t).%p.log $$t >/dev/null 2>&1 || \
		{ echo "valgrind-check: $$t failed (exit $$?)"; cat $(VALGRIND_LOGS)/$$(basename $$t).*.log; exit 1; }; \
	done
	ETLRE_VALGRIND_BIN=$(CURDIR)/$(BIN) ETLRE_VALGRIND_LOGS=$(VALGRIND_LOGS) \
		ETLRE_BIN=$(CURDIR)/tests/valgrind/etlre-valgrind bash tests/integration/run.sh -j $(TEST_JOBS) $(VALGRIND_TESTS)
	@bad=$$(find $(VALGRIND_LOGS) -type f -size +0); if [ -n "$$bad" ]; then \
		cat $$bad; echo "valgrind-check: valgrind reported errors: $$bad"; exit 1; fi; \
	echo "valgrind-check: no errors, no definite leaks ($$(ls $(VALGRIND_LOGS) | wc -l) processes)"

clean:
	rm -rf build build-san build-fuzz etlre etlre-san etlre_*.deb

-include $(OBJS:.o=.d)
