/*
 * verify.h: comparing a table's source and target hour by hour, the engine
 * of `etlre verify`.
 *
 * Counts: one grouped query per side and table over the whole range (rows
 * per hour of the time column), and one over etlre.loaded_hours for the rows
 * rejected by the last load of each hour. An hour is ok when
 * source = target + rejected, missing when target + rejected < source, extra
 * when more.
 *
 * Content (deep): instead of the grouped queries, the raw columns of the
 * range are streamed from both sides at once and each row's canonical text
 * (canon.h, made in C by canon_c.h) is hashed here; an hour's checksum is
 * the sum of its rows' 64-bit hashes (verify_stream.c). For an
 * hour whose counts or sums differ, both sides' (key, row md5) are fetched
 * and compared in C, sorted by bytes: a key only in the source is missing
 * (unless the hour's last load rejected that key), only in the target extra,
 * on both sides with different md5 changed; for the changed keys listed,
 * the rows are fetched and the differing columns named. An hour whose counts
 * agree but whose keys differ is changed.
 *
 * Results go into a verify_result the caller owns: totals per table and the
 * differing hours only, as (table, hour) pairs with their counts and keys,
 * which is also what a repair needs to reload.
 */
#ifndef ETLRE_VERIFY_H
#define ETLRE_VERIFY_H

#include <stdbool.h>
#include <stdint.h>

#include "chunk.h"
#include "plan.h"
#include "source_mariadb.h"
#include "target_pg.h"

/* keys listed per hour by default; the count of all is kept */
#define VERIFY_MAX_KEYS 100

typedef enum verify_status {
	VERIFY_OK = 0,
	VERIFY_MISSING, /* target + rejected < source */
	VERIFY_EXTRA,   /* target + rejected > source */
	VERIFY_CHANGED, /* counts agree, content does not (deep) */
} verify_status;

typedef enum key_diff {
	KEY_MISSING = 0, /* in the source only */
	KEY_EXTRA,       /* in the target only */
	KEY_CHANGED,     /* on both sides, with different content */
} key_diff;

/* verify_status_name, key_diff_name: ok, missing, extra, changed */
const char *verify_status_name(verify_status s);
const char *key_diff_name(key_diff d);

typedef struct verify_key {
	char *key;       /* "call_id=123", owned */
	key_diff diff;
	char **columns;  /* changed: the names of the columns that differ, owned */
	int ncolumns;
} verify_key;

typedef struct verify_hour {
	int table;       /* index into verify_result.tables */
	int64_t hour;    /* hours since epoch: the window [hour, hour + 1) */
	int64_t source_rows, target_rows, rejected_rows;
	verify_status status;
	verify_key *keys;    /* deep only: at most max_keys, in key order */
	int nkeys;
	int64_t keys_total;  /* differing keys found; more than nkeys when cut */
} verify_hour;

typedef struct verify_table {
	const char *name;    /* not owned */
	int hours, hours_missing, hours_extra, hours_changed;
	int64_t source_rows, target_rows, rejected_rows;
	int deep_skipped;    /* columns --deep could not compare (jsonb) */
} verify_table;

typedef struct verify_result {
	verify_table *tables;
	int ntables;
	verify_hour *hours;  /* the differing hours, table by table, in hour order */
	int nhours, hours_cap;
} verify_result;

typedef struct verify_options {
	civil_date first, last; /* days, inclusive */
	bool deep;
	int max_keys;           /* keys listed per hour (deep) */
	const char *schema;     /* etlre's schema in the target */
} verify_options;

/* verify_result_init: ntables empty tables; names are the caller's to set */
void verify_result_init(verify_result *r, int ntables);
/* verify_result_release: frees the hours, keys and tables */
void verify_result_release(verify_result *r);
/* verify_differs: true when some hour differs */
bool verify_differs(const verify_result *r);

/*
 * verify_deep_supported: --deep compares UTF-8 bytes, so the target database
 * must be UTF8; otherwise logs why and returns false (also on a failed
 * query).
 */
bool verify_deep_supported(tgt_conn *tgt) MUSTCHECK;

/*
 * verify_compare_table: compares table p over the days of o, filling
 * r->tables[table] and appending its differing hours to r. Returns false
 * after logging when a query fails (the result then holds what was found
 * so far) or when a signal arrives (signals_caught() tells).
 */
bool verify_compare_table(src_conn *src, tgt_conn *tgt, const table_plan *p,
			  const verify_options *o, int table, verify_result *r) MUSTCHECK;

#endif
