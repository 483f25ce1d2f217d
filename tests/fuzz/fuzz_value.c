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
 * utf8_sequence_length.
 */
#include <string.h>

#include "encode.h"
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
	if (!validate_value(&c, v, v ? n : 0, rule, sizeof(rule), reason, sizeof(reason)))
		fuzz_check(rule[0] && reason[0]);
	else if (v && (c.type == VT_TEXT || c.type == VT_VARCHAR || c.type == VT_CHAR))
		fuzz_check(utf8_valid(v, n, &(size_t){ 0 }));
	if (!v)
		return 0;

	check_utf8(v, n);
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
