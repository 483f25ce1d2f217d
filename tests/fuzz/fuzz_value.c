/*
 * fuzz_value.c: libFuzzer target for encode.c and validate.c, the code every
 * source value goes through. The first byte picks the target column's type
 * (by its pg_type name, through column_spec_set_type), the next four give
 * its atttypmod, the sixth NOT NULL and SQL NULL; the rest is the value as
 * MariaDB's text protocol would send it.
 *
 * Properties: no crash, leak or undefined behaviour; validate_value names a
 * rule and a reason whenever it refuses; a value that passes as text is
 * valid UTF-8 without NUL bytes; COPY text escaping decodes back to the
 * value; bytea hex doubles the length; utf8_valid agrees with
 * utf8_sequence_length. COPY binary (encode_binary.c): every kind's field
 * fits the room bin_value_bound asks for (an exact heap block, so ASan sees
 * a byte past it), and a value validate_value lets through for a float,
 * boolean, date, timestamp or time column has a binary form.
 */
#include <string.h>

#include "encode.h"
#include "encode_binary.h"
#include "fuzz.h"
#include "log.h"
#include "validate.h"

static const char *const typnames[] = {
	"text", "varchar", "bpchar", "bool", "int2", "int4", "int8", "numeric", "float4",
	"float8", "date", "timestamp", "timestamptz", "time", "bytea", "json", "jsonb",
	"name", "citext", "uuid", "interval",
};

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	log_setup(LOG_DEBUG, LOG_FORMAT_TEXT);
	return 0;
}

static void check_utf8(const char *v, size_t n)
{
	size_t bad = (size_t)-1, i = 0;
	bool ok = utf8_valid(v, n, &bad);

	/* walk the sequences: the first malformed one (or NUL) is where utf8_valid stopped */
	while (i < n) {
		size_t len = v[i] ? utf8_sequence_length(v + i, n - i) : 0;
		if (len == 0)
			break;
		fuzz_check(len <= 4 && i + len <= n);
		i += len;
	}
	fuzz_check(ok == (i == n));
	if (!ok)
		fuzz_check(bad == i);
	else
		fuzz_check(utf8_char_count(v, n) <= n);
}

/* the binary kind of a validated column type that must encode, BK_NONE for
 * the others (numeric: more than 1000 digits are sent as text; integers:
 * validate_value takes '000+5', which PostgreSQL's int8in and the encoder
 * refuse, so such a value goes as text and the target refuses it as before) */
static bin_kind must_encode(value_type t)
{
	switch (t) {
	case VT_FLOAT4: return BK_FLOAT4;
	case VT_FLOAT8: return BK_FLOAT8;
	case VT_BOOL: return BK_BOOL;
	case VT_DATE: return BK_DATE;
	case VT_TIMESTAMP: return BK_TIMESTAMP;
	case VT_TIME: return BK_TIME;
	default: return BK_NONE;
	}
}

/* check_binary: every kind within its bound; a valid value of kind must encodes */
static void check_binary(const char *v, size_t n, bin_kind must)
{
	for (int k = BK_INT2; k <= BK_SET_VARCHAR_ARRAY; k++) {
		size_t bound = bin_value_bound((bin_kind)k, v, n);
		char *out = malloc(bound);
		size_t w = bin_put_value(out, (bin_kind)k, v, n);
		fuzz_check(w <= bound);
		if (k == (int)must)
			fuzz_check(w > 0);
		free(out);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	column_spec c = { 0 };
	char rule[128], reason[512];
	const char *v;
	size_t n;
	int typmod;
	strbuf sb;

	if (size < 6)
		return 0;
	memcpy(&typmod, data + 1, sizeof(typmod));
	c.name = "col";
	c.type_name = (char *)typnames[data[0] % (sizeof(typnames) / sizeof(typnames[0]))];
	column_spec_set_type(&c, c.type_name, typmod);
	c.not_null = data[5] & 1;
	v = (data[5] & 2) ? NULL : (const char *)data + 6;
	n = size - 6;

	rule[0] = reason[0] = '\0';
	bool valid = validate_value(&c, v, v ? n : 0, rule, sizeof(rule), reason, sizeof(reason));
	if (!valid)
		fuzz_check(rule[0] && reason[0]);
	else if (v && (c.type == VT_TEXT || c.type == VT_VARCHAR || c.type == VT_CHAR))
		fuzz_check(utf8_valid(v, n, &(size_t){ 0 }));
	if (!v)
		return 0;

	check_utf8(v, n);
	check_binary(v, n, valid ? must_encode(c.type) : BK_NONE);
	(void)timestamp_valid(v, n, data[5] & 4);

	/* COPY text escaping round-trips through copy_decode_field */
	sb_init(&sb, 0);
	copy_add_text(&sb, v, n);
	fuzz_check(sb.len >= n && sb.len <= 2 * n);
	fuzz_check(!memchr(sb.buf, '\t', sb.len) && !memchr(sb.buf, '\n', sb.len));
	n = copy_decode_field(sb.buf, sb.len);
	fuzz_check(n == size - 6 && memcmp(sb.buf, v, n) == 0);
	sb_reset(&sb);
	copy_add_bytea(&sb, v, n);
	fuzz_check(sb.len == 3 + 2 * n);
	sb_reset(&sb);
	copy_add_null(&sb);
	fuzz_check(sb.len == 2);
	sb_release(&sb);
	return 0;
}
