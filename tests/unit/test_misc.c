/*
 * test_misc.c: unit tests of the small pure modules: errclass.c (error
 * classes from SQLSTATEs and MariaDB error numbers), sqlquote.c (identifier
 * and literal quoting), json.c (JSON string escaping), util.c's
 * durations (etlre check --max-age) and query-answer helpers (numbers,
 * indexes, rows into an array), and status.c (job and hour status names).
 */
#include "unit.h"

#include "encode.h"
#include "errclass.h"
#include "json.h"
#include "sqlquote.h"
#include "status.h"

/* ---- err_class_from_sqlstate ---- */

typedef struct sqlstate_case {
	const char *name;
	const char *sqlstate;
	err_class want;
} sqlstate_case;

static const sqlstate_case sqlstate_cases[] = {
	{ "08006 connection_failure", "08006", ERRCLASS_CONNECTION },
	{ "08001 unable to connect", "08001", ERRCLASS_CONNECTION },
	{ "08000 connection_exception", "08000", ERRCLASS_CONNECTION },
	{ "08P01 protocol_violation", "08P01", ERRCLASS_CONNECTION },
	{ "57P01 admin_shutdown", "57P01", ERRCLASS_CONNECTION },
	{ "57P02 crash_shutdown", "57P02", ERRCLASS_CONNECTION },
	{ "57P03 cannot_connect_now", "57P03", ERRCLASS_CONNECTION },
	{ "57014 query_canceled (statement_timeout)", "57014", ERRCLASS_TIMEOUT },
	{ "55P03 lock_not_available (lock_timeout)", "55P03", ERRCLASS_TIMEOUT },
	{ "25P03 idle_in_transaction_session_timeout", "25P03", ERRCLASS_TIMEOUT },
	{ "40P01 deadlock_detected", "40P01", ERRCLASS_DEADLOCK },
	{ "40001 serialization_failure", "40001", ERRCLASS_DEADLOCK },
	{ "53100 disk_full", "53100", ERRCLASS_DISK_FULL },
	{ "53200 out_of_memory", "53200", ERRCLASS_OUT_OF_MEMORY },
	{ "53300 too_many_connections", "53300", ERRCLASS_TOO_MANY_CONNECTIONS },
	{ "53000 insufficient_resources", "53000", ERRCLASS_INTERNAL },
	{ "53400 configuration_limit_exceeded", "53400", ERRCLASS_INTERNAL },
	{ "23505 unique_violation", "23505", ERRCLASS_CONSTRAINT },
	{ "23514 check_violation", "23514", ERRCLASS_CONSTRAINT },
	{ "23503 foreign_key_violation", "23503", ERRCLASS_CONSTRAINT },
	{ "23502 not_null_violation", "23502", ERRCLASS_CONSTRAINT },
	{ "22001 string_data_right_truncation", "22001", ERRCLASS_INVALID_DATA },
	{ "22003 numeric_value_out_of_range", "22003", ERRCLASS_INVALID_DATA },
	{ "22P02 invalid_text_representation", "22P02", ERRCLASS_INVALID_DATA },
	{ "22021 character_not_in_repertoire", "22021", ERRCLASS_INVALID_DATA },
	{ "42P01 undefined_table", "42P01", ERRCLASS_INTERNAL },
	{ "42703 undefined_column", "42703", ERRCLASS_INTERNAL },
	{ "42501 insufficient_privilege", "42501", ERRCLASS_INTERNAL },
	{ "40002 transaction_integrity_constraint_violation", "40002", ERRCLASS_INTERNAL },
	{ "57000 operator_intervention", "57000", ERRCLASS_INTERNAL },
	{ "XX000 internal_error", "XX000", ERRCLASS_INTERNAL },
	{ "00000 successful_completion", "00000", ERRCLASS_INTERNAL },
	{ "NULL", NULL, ERRCLASS_INTERNAL },
	{ "empty", "", ERRCLASS_INTERNAL },
	{ "short 08", "08", ERRCLASS_INTERNAL },
	{ "short 0800", "0800", ERRCLASS_INTERNAL },
	{ "long 080060", "080060", ERRCLASS_INTERNAL },
	{ "short 23", "23", ERRCLASS_INTERNAL },
};

static void test_sqlstate(void **state)
{
	const sqlstate_case *c = *state;
	assert_int_equal(err_class_from_sqlstate(c->sqlstate), c->want);
}

/* ---- err_class_from_mariadb ---- */

typedef struct mariadb_err_case {
	const char *name;
	unsigned int errnum;
	err_class want;
} mariadb_err_case;

static const mariadb_err_case mariadb_err_cases[] = {
	{ "2002 CR_CONNECTION_ERROR", 2002, ERRCLASS_CONNECTION },
	{ "2003 CR_CONN_HOST_ERROR", 2003, ERRCLASS_CONNECTION },
	{ "2005 CR_UNKNOWN_HOST", 2005, ERRCLASS_CONNECTION },
	{ "2006 CR_SERVER_GONE_ERROR", 2006, ERRCLASS_CONNECTION },
	{ "2013 CR_SERVER_LOST", 2013, ERRCLASS_CONNECTION },
	{ "2055 CR_SERVER_LOST_EXTENDED", 2055, ERRCLASS_CONNECTION },
	{ "1040 ER_CON_COUNT_ERROR", 1040, ERRCLASS_TOO_MANY_CONNECTIONS },
	{ "1203 ER_TOO_MANY_USER_CONNECTIONS", 1203, ERRCLASS_TOO_MANY_CONNECTIONS },
	{ "1021 ER_DISK_FULL", 1021, ERRCLASS_DISK_FULL },
	{ "1114 ER_RECORD_FILE_FULL", 1114, ERRCLASS_DISK_FULL },
	{ "1037 ER_OUTOFMEMORY", 1037, ERRCLASS_OUT_OF_MEMORY },
	{ "1038 ER_OUT_OF_SORTMEMORY", 1038, ERRCLASS_OUT_OF_MEMORY },
	{ "1041 ER_OUT_OF_RESOURCES", 1041, ERRCLASS_OUT_OF_MEMORY },
	{ "2008 CR_OUT_OF_MEMORY", 2008, ERRCLASS_OUT_OF_MEMORY },
	{ "1053 ER_SERVER_SHUTDOWN", 1053, ERRCLASS_CONNECTION },
	{ "1927 ER_CONNECTION_KILLED", 1927, ERRCLASS_CONNECTION },
	{ "1205 ER_LOCK_WAIT_TIMEOUT", 1205, ERRCLASS_TIMEOUT },
	{ "1969 ER_STATEMENT_TIMEOUT", 1969, ERRCLASS_TIMEOUT },
	{ "3024 ER_QUERY_TIMEOUT", 3024, ERRCLASS_TIMEOUT },
	{ "1213 ER_LOCK_DEADLOCK", 1213, ERRCLASS_DEADLOCK },
	{ "1146 ER_NO_SUCH_TABLE", 1146, ERRCLASS_INTERNAL },
	{ "1054 ER_BAD_FIELD_ERROR", 1054, ERRCLASS_INTERNAL },
	{ "1064 ER_PARSE_ERROR", 1064, ERRCLASS_INTERNAL },
	{ "1045 ER_ACCESS_DENIED_ERROR", 1045, ERRCLASS_INTERNAL },
	{ "2000 CR_UNKNOWN_ERROR", 2000, ERRCLASS_INTERNAL },
};

static void test_mariadb_err(void **state)
{
	const mariadb_err_case *c = *state;
	assert_int_equal(err_class_from_mariadb(c->errnum), c->want);
}

/* ---- err_class_name and the class predicates ---- */

typedef struct class_case {
	const char *name; /* what err_class_name gives; NULL for NONE */
	err_class c;
	bool row_level, transient;
} class_case;

static const class_case class_cases[] = {
	{ "connection", ERRCLASS_CONNECTION, false, true },
	{ "timeout", ERRCLASS_TIMEOUT, false, true },
	{ "invalid_data", ERRCLASS_INVALID_DATA, true, false },
	{ "constraint", ERRCLASS_CONSTRAINT, true, false },
	{ "deadlock", ERRCLASS_DEADLOCK, false, true },
	{ "disk_full", ERRCLASS_DISK_FULL, false, false },
	{ "out_of_memory", ERRCLASS_OUT_OF_MEMORY, false, false },
	{ "too_many_connections", ERRCLASS_TOO_MANY_CONNECTIONS, false, true },
	{ "internal", ERRCLASS_INTERNAL, false, false },
};

static void test_class(void **state)
{
	const class_case *c = *state;

	assert_string_equal(err_class_name(c->c), c->name);
	assert_int_equal(err_class_from_name(c->name), c->c);
	assert_int_equal(err_class_is_row_level(c->c), c->row_level);
	assert_int_equal(err_class_is_transient(c->c), c->transient);
}

static void test_class_none(void **state)
{
	(void)state;
	assert_null(err_class_name(ERRCLASS_NONE));
	assert_false(err_class_is_row_level(ERRCLASS_NONE));
	assert_false(err_class_is_transient(ERRCLASS_NONE));
}

/* ---- quote_pg_ident, quote_my_ident, quote_pg_literal, quote_my_literal ---- */

typedef struct quote_case {
	const char *name;
	void (*quote)(strbuf *sb, const char *s);
	const char *in;
	const char *out;
} quote_case;

static const quote_case quote_cases[] = {
	{ "pg ident plain", quote_pg_ident, "calls", "\"calls\"" },
	{ "pg ident dotted", quote_pg_ident, "analytics.calls", "\"analytics\".\"calls\"" },
	{ "pg ident mixed case kept", quote_pg_ident, "Calls", "\"Calls\"" },
	{ "pg ident with \"", quote_pg_ident, "we\"ird", "\"we\"\"ird\"" },
	{ "pg ident dotted, \" in both parts", quote_pg_ident, "a\"b.c\"d",
	  "\"a\"\"b\".\"c\"\"d\"" },
	{ "pg ident injection attempt", quote_pg_ident, "x\"; DROP TABLE t; --",
	  "\"x\"\"; DROP TABLE t; --\"" },
	{ "pg ident backtick untouched", quote_pg_ident, "a`b", "\"a`b\"" },
	{ "pg ident second dot stays in the name", quote_pg_ident, "a.b.c", "\"a\".\"b.c\"" },
	{ "pg ident empty", quote_pg_ident, "", "\"\"" },
	{ "my ident plain", quote_my_ident, "calls", "`calls`" },
	{ "my ident dotted", quote_my_ident, "ivr.calls", "`ivr`.`calls`" },
	{ "my ident with `", quote_my_ident, "we`ird", "`we``ird`" },
	{ "my ident dotted, ` in both parts", quote_my_ident, "a`b.c`d", "`a``b`.`c``d`" },
	{ "my ident injection attempt", quote_my_ident, "x`; DROP TABLE t; --",
	  "`x``; DROP TABLE t; --`" },
	{ "my ident double quote untouched", quote_my_ident, "a\"b", "`a\"b`" },
	{ "pg literal plain", quote_pg_literal, "2025-11-02", "'2025-11-02'" },
	{ "pg literal with '", quote_pg_literal, "it's", "'it''s'" },
	{ "pg literal only quotes", quote_pg_literal, "''", "''''''" },
	{ "pg literal backslash untouched", quote_pg_literal, "a\\b", "'a\\b'" },
	{ "pg literal injection attempt", quote_pg_literal, "x'; DROP TABLE t; --",
	  "'x''; DROP TABLE t; --'" },
	{ "pg literal empty", quote_pg_literal, "", "''" },
	{ "pg literal unicode", quote_pg_literal, "Europe/Z\xc3\xbcrich", "'Europe/Z\xc3\xbcrich'" },
	{ "my literal plain", quote_my_literal, "UTC", "'UTC'" },
	{ "my literal with '", quote_my_literal, "it's", "'it\\'s'" },
	{ "my literal with backslash", quote_my_literal, "a\\b", "'a\\\\b'" },
	{ "my literal backslash then quote", quote_my_literal, "\\'", "'\\\\\\''" },
	{ "my literal trailing backslash", quote_my_literal, "x\\", "'x\\\\'" },
	{ "my literal injection attempt", quote_my_literal, "x'; DROP TABLE t; --",
	  "'x\\'; DROP TABLE t; --'" },
	{ "my literal empty", quote_my_literal, "", "''" },
	{ "my literal double quote untouched", quote_my_literal, "a\"b", "'a\"b'" },
};

static void test_quote(void **state)
{
	const quote_case *c = *state;
	strbuf sb;

	/* appends to what is there */
	sb_init(&sb, 0);
	sb_adds(&sb, "SELECT ");
	c->quote(&sb, c->in);
	assert_int_equal(sb.len, strlen("SELECT ") + strlen(c->out));
	assert_memory_equal(sb.buf, "SELECT ", 7);
	assert_string_equal(sb.buf + 7, c->out);
	sb_release(&sb);
}

/* ---- json_add_string, json_add_stringn, json_add_string_or_null ---- */

typedef struct json_case {
	const char *name;
	const char *in;
	size_t n;
	const char *out;
} json_case;

static const json_case json_cases[] = {
	{ "plain", B("hello"), "\"hello\"" },
	{ "empty", B(""), "\"\"" },
	{ "double quotes", B("say \"hi\""), "\"say \\\"hi\\\"\"" },
	{ "backslash", B("C:\\dir\\"), "\"C:\\\\dir\\\\\"" },
	{ "newline, CR, tab", B("a\nb\rc\td"), "\"a\\nb\\rc\\td\"" },
	{ "control chars as \\u00XX", B("\x01\x08\x0c\x1b\x1f"),
	  "\"\\u0001\\u0008\\u000c\\u001b\\u001f\"" },
	{ "NUL byte (json_add_stringn)", B("a\0b"), "\"a\\u0000b\"" },
	{ "space and DEL kept", B(" \x7f"), "\" \x7f\"" },
	{ "slash kept", B("a/b"), "\"a/b\"" },
	{ "2-byte UTF-8 kept", B("caf\xc3\xa9"), "\"caf\xc3\xa9\"" },
	{ "3-byte UTF-8 kept", B("\xe2\x82\xac"), "\"\xe2\x82\xac\"" },
	{ "emoji kept", B("\xf0\x9f\x98\x80!"), "\"\xf0\x9f\x98\x80!\"" },
	{ "U+2028 kept", B("\xe2\x80\xa8"), "\"\xe2\x80\xa8\"" },
	{ "invalid byte FF", B("a\xff" "b"), "\"a\\ufffdb\"" },
	{ "lone continuation byte", B("\x80"), "\"\\ufffd\"" },
	{ "truncated sequence at end", B("ab\xe2\x82"), "\"ab\\ufffd\\ufffd\"" },
	{ "truncated sequence before ascii", B("\xc3" "A"), "\"\\ufffdA\"" },
	{ "overlong C0 AF ('/')", B("\xc0\xaf"), "\"\\ufffd\\ufffd\"" },
	{ "surrogate ED A0 80", B("\xed\xa0\x80"), "\"\\ufffd\\ufffd\\ufffd\"" },
	{ "above U+10FFFF", B("\xf4\x90\x80\x80"), "\"\\ufffd\\ufffd\\ufffd\\ufffd\"" },
	{ "invalid then valid emoji", B("\xff\xf0\x9f\x98\x80"), "\"\\ufffd\xf0\x9f\x98\x80\"" },
	{ "quote after invalid byte", B("\xc3\""), "\"\\ufffd\\\"\"" },
};

static void test_json(void **state)
{
	const json_case *c = *state;
	char *in = unit_dup(c->in, c->n);
	strbuf sb;

	sb_init(&sb, 0);
	sb_adds(&sb, "{\"k\":");
	json_add_stringn(&sb, in, c->n);
	assert_memory_equal(sb.buf, "{\"k\":", 5);
	assert_string_equal(sb.buf + 5, c->out);
	/* json_add_string gives the same for a NUL-free string */
	if (!memchr(c->in, '\0', c->n)) {
		sb_reset(&sb);
		json_add_string(&sb, c->in);
		assert_string_equal(sb.buf, c->out);
	}
	sb_release(&sb);
	free(in);
}

static void test_json_or_null(void **state)
{
	strbuf sb;
	(void)state;

	sb_init(&sb, 0);
	json_add_string_or_null(&sb, NULL);
	assert_string_equal(sb.buf, "null");
	sb_addc(&sb, ',');
	json_add_string_or_null(&sb, "null");
	assert_string_equal(sb.buf, "null,\"null\"");
	sb_release(&sb);
}

/* json_unescape: decodes a JSON string (as json.c writes them) back to bytes;
 * returns false on anything RFC 8259 forbids in a string */
static bool json_unescape(const char *s, size_t n, strbuf *out)
{
	if (n < 2 || s[0] != '"' || s[n - 1] != '"')
		return false;
	for (size_t i = 1; i < n - 1; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c == '"')
			return false;
		if (c != '\\') {
			sb_addc(out, (char)c);
			continue;
		}
		if (++i >= n - 1)
			return false;
		switch (s[i]) {
		case '"': sb_addc(out, '"'); break;
		case '\\': sb_addc(out, '\\'); break;
		case '/': sb_addc(out, '/'); break;
		case 'b': sb_addc(out, '\b'); break;
		case 'f': sb_addc(out, '\f'); break;
		case 'n': sb_addc(out, '\n'); break;
		case 'r': sb_addc(out, '\r'); break;
		case 't': sb_addc(out, '\t'); break;
		case 'u': {
			unsigned v = 0;
			if (i + 4 >= n - 1)
				return false;
			for (int k = 1; k <= 4; k++) {
				const char *hex = "0123456789abcdef";
				const char *d = s[i + k] ? strchr(hex, s[i + k]) : NULL;
				if (!d)
					return false; /* json.c writes lowercase hex */
				v = v * 16 + (unsigned)(d - hex);
			}
			i += 4;
			if (v < 0x80) {
				sb_addc(out, (char)v);
			} else if (v == 0xfffd) {
				sb_adds(out, "\xef\xbf\xbd");
			} else {
				return false; /* json.c writes nothing else as \u */
			}
			break;
		}
		default:
			return false;
		}
	}
	return true;
}

/* generated byte strings: the output is always a valid JSON string in valid
 * UTF-8, and decodes back to the input when the input was valid UTF-8 */
static void test_json_generated(void **state)
{
	static const char *const pieces[] = { "a", "\"", "\\", "\n", "\r", "\t", "\b",
					      "\x01", "\x1f", "/", "\x7f", "\xc3\xa9",
					      "\xe2\x82\xac", "\xf0\x9f\x98\x80", "\xff", "\x80",
					      "\xc3", "\xed\xa0\x80", "\xc0\x80", "u", "0" };
	uint64_t seed = 12345;
	(void)state;

	for (int i = 0; i < 20000; i++) {
		strbuf in, out, back;
		size_t bad;
		int k = (int)(unit_rand(&seed) % 12);

		sb_init(&in, 0);
		sb_init(&out, 0);
		sb_init(&back, 0);
		while (k-- > 0)
			sb_adds(&in, pieces[unit_rand(&seed) % ARRAY_SIZE(pieces)]);
		if (unit_rand(&seed) % 4 == 0)
			sb_addc(&in, '\0'); /* json_add_stringn takes NUL bytes */
		json_add_stringn(&out, in.buf, in.len);
		assert_true(utf8_valid(out.buf, out.len, &bad));
		assert_true(json_unescape(out.buf, out.len, &back));
		if (utf8_valid(in.buf, in.len, &bad) || (in.len && in.buf[in.len - 1] == '\0' &&
							 utf8_valid(in.buf, in.len - 1, &bad))) {
			assert_int_equal(back.len, in.len);
			assert_memory_equal(back.buf, in.buf, in.len);
		}
		sb_release(&in);
		sb_release(&out);
		sb_release(&back);
	}
}

/* ---- duration_parse, duration_format ---- */

typedef struct duration_case {
	const char *name;
	const char *in;
	bool ok;
	int64_t seconds;
} duration_case;

static const duration_case duration_cases[] = {
	{ "90m", "90m", true, 5400 },
	{ "36h", "36h", true, 129600 },
	{ "2d", "2d", true, 172800 },
	{ "1w", "1w", true, 604800 },
	{ "45s", "45s", true, 45 },
	{ "leading zero", "007h", true, 25200 },
	{ "100 years of days", "36600d", true, 36600LL * 86400 },
	{ "more than 100 years", "36601d", false, 0 },
	{ "huge weeks", "999999999w", false, 0 },
	{ "overflowing digits", "99999999999999999999s", false, 0 },
	{ "no unit", "36", false, 0 },
	{ "unknown unit", "36x", false, 0 },
	{ "upper case unit", "36H", false, 0 },
	{ "zero", "0h", false, 0 },
	{ "negative", "-1h", false, 0 },
	{ "plus sign", "+1h", false, 0 },
	{ "unit only", "h", false, 0 },
	{ "fraction", "1.5h", false, 0 },
	{ "two units", "2d3h", false, 0 },
	{ "space", "1 h", false, 0 },
	{ "leading space", " 1h", false, 0 },
	{ "trailing space", "1h ", false, 0 },
	{ "empty", "", false, 0 },
	{ "NULL", NULL, false, 0 },
};

static void test_duration(void **state)
{
	const duration_case *c = *state;
	int64_t got = -7;

	assert_int_equal(duration_parse(c->in, &got), c->ok);
	assert_int_equal(got, c->ok ? c->seconds : -7); /* untouched on failure */
}

typedef struct duration_format_case {
	const char *name;
	int64_t seconds;
	const char *out;
} duration_format_case;

static const duration_format_case duration_format_cases[] = {
	{ "zero", 0, "0s" },
	{ "negative is zero", -5, "0s" },
	{ "seconds", 59, "59s" },
	{ "minutes and seconds", 119, "1m 59s" },
	{ "whole hours", 7200, "2h" },
	{ "days and minutes, no zero hours", 3 * 86400 + 240, "3d 4m" },
	{ "two largest units only", 2 * 86400 + 23 * 3600 + 59 * 60 + 59, "2d 23h" },
	{ "many days", 400LL * 86400 + 3600, "400d 1h" },
};

static void test_duration_format(void **state)
{
	const duration_format_case *c = *state;
	char out[32];

	duration_format(c->seconds, out);
	assert_string_equal(out, c->out);
}

/* ---- status names ---- */

typedef struct status_case {
	const char *name;
	bool job;        /* a job status, else an hour status */
	int value;
	const char *text; /* its name; NULL: none */
} status_case;

static const status_case status_cases[] = {
	{ "job running", true, JOB_RUNNING, "running" },
	{ "job succeeded", true, JOB_SUCCEEDED, "succeeded" },
	{ "job failed", true, JOB_FAILED, "failed" },
	{ "job partial", true, JOB_PARTIAL, "partial" },
	{ "job interrupted", true, JOB_INTERRUPTED, "interrupted" },
	{ "job dry_run", true, JOB_DRY_RUN, "dry_run" },
	{ "job stale", true, JOB_STALE, "stale" },
	{ "job stuck", true, JOB_STUCK, "stuck" },
	{ "job unknown", true, JOB_UNKNOWN, "unknown" },
	{ "job none has no name", true, JOB_NONE, NULL },
	{ "hour pending", false, HOUR_PENDING, "pending" },
	{ "hour running", false, HOUR_RUNNING, "running" },
	{ "hour succeeded", false, HOUR_SUCCEEDED, "succeeded" },
	{ "hour failed", false, HOUR_FAILED, "failed" },
	{ "hour interrupted", false, HOUR_INTERRUPTED, "interrupted" },
	{ "hour unknown", false, HOUR_UNKNOWN, "unknown" },
};

/* test_status: the name of each status, and back */
static void test_status(void **state)
{
	const status_case *c = *state;

	if (c->job) {
		const char *got = job_status_name((job_status)c->value);
		if (c->text)
			assert_string_equal(got, c->text);
		else
			assert_null(got);
		assert_int_equal(job_status_parse(c->text), c->text ? c->value : JOB_UNKNOWN);
	} else {
		assert_string_equal(hour_status_name((hour_status)c->value), c->text);
		assert_int_equal(hour_status_parse(c->text), c->value);
	}
}

/* test_status_unknown: names not in the tables, and values past them */
static void test_status_unknown(void **state)
{
	(void)state;
	assert_int_equal(job_status_parse("Running"), JOB_UNKNOWN);
	assert_int_equal(job_status_parse("pending"), JOB_UNKNOWN); /* an hour's, not a job's */
	assert_int_equal(job_status_parse(""), JOB_UNKNOWN);
	assert_int_equal(hour_status_parse("partial"), HOUR_UNKNOWN);
	assert_int_equal(hour_status_parse(NULL), HOUR_UNKNOWN);
	assert_string_equal(job_status_name((job_status)99), "unknown");
	assert_string_equal(hour_status_name((hour_status)99), "unknown");
}

/* test_json_member: ,"name": then the string, or null */
static void test_json_member(void **state)
{
	strbuf sb;

	(void)state;
	sb_init(&sb, 64);
	json_add_member(&sb, "a", "x\"y");
	json_add_member(&sb, "b", NULL);
	assert_string_equal(sb.buf, ",\"a\":\"x\\\"y\",\"b\":null");
	sb_release(&sb);
}

/* ---- query answers: field_index, field_int64, row_array ---- */

typedef struct index_case {
	const char *name;
	const char *v;
	int base, n;
	int want;
} index_case;

static const index_case index_cases[] = {
	{ "first, from 0", "0", 0, 3, 0 },
	{ "last, from 0", "2", 0, 3, 2 },
	{ "past the end, from 0", "3", 0, 3, -1 },
	{ "negative", "-1", 0, 3, -1 },
	{ "first, from 1", "1", 1, 3, 0 },
	{ "last, from 1", "3", 1, 3, 2 },
	{ "zero, from 1", "0", 1, 3, -1 },
	{ "past the end, from 1", "4", 1, 3, -1 },
	{ "NULL", NULL, 0, 3, -1 },
	{ "no elements", "0", 0, 0, -1 },
	{ "huge", "99999999999", 0, 3, -1 },
};

static void test_field_index(void **state)
{
	const index_case *c = *state;

	assert_int_equal(field_index(c->v, c->base, c->n), c->want);
}

static void test_field_numbers(void **state)
{
	(void)state;
	assert_int_equal(field_int64("42"), 42);
	assert_int_equal(field_int64("-9000000000"), -9000000000LL);
	assert_int_equal(field_int64(NULL), 0);
	assert_true(field_double("2.5") == 2.5);
	assert_true(field_double(NULL) == 0);
}

typedef struct pair_row {
	char *name;
	int64_t n;
} pair_row;

static void pair_fill(void *elem, char **v)
{
	pair_row *p = elem;

	assert_null(p->name); /* zeroed */
	p->name = xstrdup(v[0] ? v[0] : "-");
	p->n = field_int64(v[1]);
}

/* test_row_array: 100 rows, through its growth, in order */
static void test_row_array(void **state)
{
	row_array a = { .elem_size = sizeof(pair_row), .fill = pair_fill };
	pair_row *rows;

	(void)state;
	for (int i = 0; i < 100; i++) {
		char num[16];
		char *v[2] = { i % 10 ? num : NULL, num };
		snprintf(num, sizeof(num), "%d", i);
		assert_true(row_array_add(&a, 2, v));
	}
	rows = a.items;
	assert_int_equal(a.n, 100);
	assert_string_equal(rows[0].name, "-");
	assert_string_equal(rows[37].name, "37");
	assert_int_equal(rows[99].n, 99);
	for (int i = 0; i < a.n; i++)
		free(rows[i].name);
	free(rows);
}

int main(void)
{
	unit_list l = { 0 };

	UNIT_ROWS(&l, "err_class_from_sqlstate", test_sqlstate, sqlstate_cases);
	UNIT_ROWS(&l, "err_class_from_mariadb", test_mariadb_err, mariadb_err_cases);
	UNIT_ROWS(&l, "err_class_name", test_class, class_cases);
	unit_add(&l, "err_class_name: none", NULL, test_class_none, NULL);
	UNIT_ROWS(&l, "quote", test_quote, quote_cases);
	UNIT_ROWS(&l, "json_add_string", test_json, json_cases);
	unit_add(&l, "json_add_string_or_null", NULL, test_json_or_null, NULL);
	unit_add(&l, "json_add_stringn: 20000 generated strings", NULL, test_json_generated, NULL);
	UNIT_ROWS(&l, "duration_parse", test_duration, duration_cases);
	UNIT_ROWS(&l, "duration_format", test_duration_format, duration_format_cases);
	UNIT_ROWS(&l, "status names", test_status, status_cases);
	unit_add(&l, "status names: unknown", NULL, test_status_unknown, NULL);
	unit_add(&l, "json_add_member", NULL, test_json_member, NULL);
	UNIT_ROWS(&l, "field_index", test_field_index, index_cases);
	unit_add(&l, "field_int64, field_double", NULL, test_field_numbers, NULL);
	unit_add(&l, "row_array", NULL, test_row_array, NULL);
	return unit_run(&l, "misc", NULL, NULL);
}
