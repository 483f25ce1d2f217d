# etlre: build, test, demo and install.
#   make                 build ./etlre
#   make check           unit tests (cmocka) + integration tests against local servers
#   make SANITIZE=1 ...  the same with AddressSanitizer + UndefinedBehaviorSanitizer
#   make demo            install what is missing, start local servers, load fixtures, run etlre

CC      ?= cc
PREFIX  ?= /usr/local
DESTDIR ?=
BUILD   ?= build

PKGS    := libpq libmariadb zlib inih
CFLAGS  ?= -O2 -g
CFLAGS  += -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wmissing-prototypes -Wvla -Wformat=2 \
           -Wno-format-nonliteral -Wno-format-truncation -MMD -MP $(shell pkg-config --cflags $(PKGS))
LDLIBS  += $(shell pkg-config --libs $(PKGS)) -lcsv -lm

ifeq ($(SANITIZE),1)
BUILD   := build-san
CFLAGS  += -O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
LDFLAGS += -fsanitize=address,undefined
endif

SRCS    := $(wildcard runner/*.c)
OBJS    := $(SRCS:runner/%.c=$(BUILD)/%.o)
# modules that touch no database, linked directly into the unit tests
PURE    := util log json encode chunk validate errclass sqlquote config canon progress metrics
PURE_OBJS := $(PURE:%=$(BUILD)/%.o)
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)

BIN     := $(if $(filter 1,$(SANITIZE)),etlre-san,etlre)

.PHONY: all check unit integration demo clean install uninstall deps servers

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

integration: $(BIN)
	ETLRE_BIN=$(CURDIR)/$(BIN) prove tests/integration/

# check installs what is missing first, then builds and runs both suites
check: deps
	$(MAKE) --no-print-directory unit integration

deps:
	bash scripts/install-deps.sh

servers:
	bash scripts/dev-db.sh start

demo:
	bash scripts/demo.sh

install: etlre
	install -D -m 0755 etlre $(DESTDIR)$(PREFIX)/bin/etlre
	install -D -m 0755 scripts/etlre-nightly.sh $(DESTDIR)$(PREFIX)/bin/etlre-nightly

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/etlre $(DESTDIR)$(PREFIX)/bin/etlre-nightly

clean:
	rm -rf build build-san etlre etlre-san

-include $(OBJS:.o=.d)
