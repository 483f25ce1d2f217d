/*
 * test_encode.c: unit tests of encode.c: UTF-8 checks and the COPY text
 * encoding of values (text, bytea, NULL) and its decoding.
 */
#include "unit.h"

#include "encode.h"

/* ---- utf8_valid, utf8_char_count ---- */

typedef struct utf8_case {
	const char *name;
	const char *s;
	size_t n;
	bool valid;
	size_t bad_offset; /* when !valid */
	size_t chars;      /* when valid */
} utf8_case;

#define OK(name, s, chars) { name, B(s), true, 0, chars }
#define BAD(name, s, at) { name, B(s), false, at, 0 }

static const utf8_case utf8_cases[] = {
	OK("empty", "", 0),
	OK("ascii", "hello, world", 12),
	OK("ascii controls and DEL", "\x01\t\n\r\x1f\x7f", 6),
	OK("2-byte e-acute", "caf\xc3\xa9", 4),
	OK("2-byte lowest U+0080", "\xc2\x80", 1),
	OK("2-byte highest U+07FF", "\xdf\xbf", 1),
	OK("3-byte lowest U+0800", "\xe0\xa0\x80", 1),
	OK("3-byte euro sign", "\xe2\x82\xac", 1),
	OK("3-byte U+D7FF just below the surrogates", "\xed\x9f\xbf", 1),
	OK("3-byte U+E000 just above the surrogates", "\xee\x80\x80", 1),
	OK("3-byte U+FFFF", "\xef\xbf\xbf", 1),
	OK("4-byte lowest U+10000", "\xf0\x90\x80\x80", 1),
	OK("4-byte emoji U+1F600", "\xf0\x9f\x98\x80", 1),
	OK("4-byte highest U+10FFFF", "\xf4\x8f\xbf\xbf", 1),
	OK("mixed widths", "a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80z", 5),
	OK("CJK", "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", 3),
	OK("family emoji with ZWJ (5 code points)",
	   "\xf0\x9f\x91\xa8\xe2\x80\x8d\xf0\x9f\x91\xa9\xe2\x80\x8d\xf0\x9f\x91\xa7", 5),
	BAD("overlong NUL C0 80", "\xc0\x80", 0),
	BAD("overlong C1 BF", "\xc1\xbf", 0),
	BAD("overlong 3-byte E0 80 80", "\xe0\x80\x80", 0),
	BAD("overlong 3-byte E0 9F BF", "\xe0\x9f\xbf", 0),
	BAD("overlong 4-byte F0 80 80 80", "\xf0\x80\x80\x80", 0),
	BAD("overlong 4-byte F0 8F BF BF", "\xf0\x8f\xbf\xbf", 0),
	BAD("surrogate ED A0 80 (U+D800)", "\xed\xa0\x80", 0),
	BAD("surrogate ED BF BF (U+DFFF)", "\xed\xbf\xbf", 0),
	BAD("surrogate pair as CESU-8", "\xed\xa0\xbd\xed\xb8\x80", 0),
	BAD("above U+10FFFF F4 90 80 80", "\xf4\x90\x80\x80", 0),
	BAD("lead F5", "\xf5\x80\x80\x80", 0),
	BAD("lead F8 (old 5-byte form)", "\xf8\x88\x80\x80\x80", 0),
	BAD("byte FE", "\xfe", 0),
	BAD("byte FF after ascii", "ab\xff", 2),
	BAD("lone continuation byte", "\x80", 0),
	BAD("continuation byte after a full sequence", "\xc3\xa9\xa9", 2),
	BAD("truncated 2-byte at end", "abc\xc3", 3),
	BAD("truncated 3-byte at end", "ab\xe2\x82", 2),
	BAD("truncated 4-byte at end", "\xf0\x9f\x98", 0),
	BAD("truncated 3-byte followed by ascii", "\xe2\x82z", 0),
	BAD("2-byte lead followed by another lead", "\xc3\xc3\xa9", 0),
	BAD("4-byte lead followed by ascii", "\xf0" "abc", 0),
	BAD("NUL byte alone", "\0", 0),
	BAD("NUL byte inside", "ab\0cd", 2),
	BAD("NUL byte after multibyte", "\xc3\xa9\0", 2),
	BAD("error after valid emoji", "\xf0\x9f\x98\x80\xc0\x80", 4),
};

#undef OK
#undef BAD

static void test_utf8_valid(void **state)
{
	const utf8_case *c = *state;
	char *s = unit_dup(c->s, c->n); /* exactly n bytes: ASan sees over-reads */
	size_t bad = SIZE_MAX;

	assert_int_equal(utf8_valid(s, c->n, &bad), c->valid);
	if (c->valid) {
		assert_true(bad == SIZE_MAX); /* not written on success */
		assert_int_equal(utf8_char_count(s, c->n), c->chars);
	} else {
		assert_int_equal(bad, c->bad_offset);
		/* a NULL bad_offset is allowed */
		assert_false(utf8_valid(s, c->n, NULL));
	}
	free(s);
}

/* the byte count given is honoured: a valid sequence cut short is invalid */
static void test_utf8_valid_respects_length(void **state)
{
	static const char emoji[] = "\xf0\x9f\x98\x80";
	size_t bad = SIZE_MAX;
	(void)state;

	for (size_t n = 1; n < 4; n++) {
		char *s = unit_dup(emoji, n);
		assert_false(utf8_valid(s, n, &bad));
		assert_int_equal(bad, 0);
		assert_int_equal(utf8_sequence_length(s, n), 0);
		free(s);
	}
	assert_int_equal(utf8_sequence_length(emoji, 4), 4);
	assert_true(utf8_valid(emoji, 0, &bad)); /* zero bytes are valid */
}

/* long values go 8 bytes at a time while they are ASCII: a NUL, a high byte
 * or a broken sequence is found at every offset, and at either end */
static void test_utf8_valid_long_values(void **state)
{
	char s[41];
	size_t bad;
	(void)state;

	memset(s, 'a', 40);
	s[40] = '\0';
	assert_true(utf8_valid(s, 40, NULL));
	for (size_t at = 0; at < 40; at++) {
		static const char bads[] = { '\0', '\x80', '\xff', '\xc3' };
		for (size_t k = 0; k < sizeof(bads); k++) {
			memset(s, 'a', 40);
			s[at] = bads[k];
			bad = SIZE_MAX;
			assert_false(utf8_valid(s, 40, &bad));
			assert_int_equal(bad, at);
		}
		/* a valid two-byte sequence anywhere keeps the value valid */
		if (at < 39) {
			memset(s, 'a', 40);
			s[at] = '\xc3';
			s[at + 1] = '\xa9';
			assert_true(utf8_valid(s, 40, NULL));
		}
	}
	/* the length given is honoured: the bad byte just past it is not seen */
	memset(s, 'a', 40);
	s[16] = '\xff';
	assert_true(utf8_valid(s, 16, NULL));
	assert_false(utf8_valid(s, 17, NULL));
}

/* ---- copy_add_text, copy_add_bytea, copy_add_null ---- */

typedef struct copy_case {
	const char *name;
	const char *in;
	size_t n;
	const char *out; /* what is appended */
} copy_case;

static const copy_case text_cases[] = {
	{ "plain", B("hello"), "hello" },
	{ "empty", B(""), "" },
	{ "tab", B("a\tb"), "a\\tb" },
	{ "newline", B("line1\nline2"), "line1\\nline2" },
	{ "carriage return", B("a\rb"), "a\\rb" },
	{ "CRLF", B("\r\n"), "\\r\\n" },
	{ "backslash", B("back\\slash"), "back\\\\slash" },
	{ "lone backslash", B("\\"), "\\\\" },
	{ "end-of-data marker \\.", B("\\."), "\\\\." },
	{ "end-of-data marker on its own line", B("x\n\\.\n"), "x\\n\\\\.\\n" },
	{ "text that looks like NULL \\N", B("\\N"), "\\\\N" },
	{ "escape lookalike \\t as two chars", B("\\t"), "\\\\t" },
	{ "all specials", B("\\\t\n\r"), "\\\\\\t\\n\\r" },
	{ "unicode untouched", B("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"),
	  "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80" },
	{ "other controls untouched", B("\x01\x0b\x0c\x1b\x7f"), "\x01\x0b\x0c\x1b\x7f" },
	{ "a single dot", B("."), "." },
	{ "quotes and commas untouched", B("'\",;"), "'\",;" },
	{ "long value, specials at both ends", B("\\0123456789abcdefghij\tklmnopqrstuvwxyz\n"),
	  "\\\\0123456789abcdefghij\\tklmnopqrstuvwxyz\\n" },
	{ "high bytes are not escapes", B("\x80\x8d\xdc\xe9\xff"), "\x80\x8d\xdc\xe9\xff" },
};

static void test_copy_add_text(void **state)
{
	const copy_case *c = *state;
	char *in = unit_dup(c->in, c->n);
	strbuf sb;

	/* appends after what the buffer holds, and keeps it NUL-terminated */
	sb_init(&sb, 0);
	sb_adds(&sb, "k\t");
	copy_add_text(&sb, in, c->n);
	assert_int_equal(sb.len, 2 + strlen(c->out));
	assert_memory_equal(sb.buf, "k\t", 2);
	assert_string_equal(sb.buf + 2, c->out);
	assert_int_equal(sb.buf[sb.len], '\0');
	sb_release(&sb);
	free(in);
}

static const copy_case bytea_cases[] = {
	{ "empty", B(""), "\\\\x" },
	{ "ascii", B("AB"), "\\\\x4142" },
	{ "NUL and high bytes", B("\0\x01\x7f\x80\xff"), "\\\\x00017f80ff" },
	{ "COPY specials are hex too", B("\t\n\r\\"), "\\\\x090a0d5c" },
	{ "lowercase hex digits", B("\xab\xcd\xef"), "\\\\xabcdef" },
};

static void test_copy_add_bytea(void **state)
{
	const copy_case *c = *state;
	char *in = unit_dup(c->in, c->n);
	strbuf sb;

	sb_init(&sb, 0);
	sb_adds(&sb, "x\t");
	copy_add_bytea(&sb, in, c->n);
	assert_int_equal(sb.len, 2 + strlen(c->out));
	assert_memory_equal(sb.buf, "x\t", 2);
	assert_string_equal(sb.buf + 2, c->out);
	sb_release(&sb);
	free(in);
}

/* every byte value survives bytea hex encoding */
static void test_copy_add_bytea_all_bytes(void **state)
{
	char in[256];
	strbuf sb;
	(void)state;

	for (int i = 0; i < 256; i++)
		in[i] = (char)i;
	sb_init(&sb, 0);
	copy_add_bytea(&sb, in, sizeof(in));
	assert_int_equal(sb.len, 3 + 512);
	assert_memory_equal(sb.buf, "\\\\x", 3);
	for (int i = 0; i < 256; i++) {
		char want[3];
		snprintf(want, sizeof(want), "%02x", i);
		assert_memory_equal(sb.buf + 3 + 2 * i, want, 2);
	}
	sb_release(&sb);
}

static void test_copy_add_null(void **state)
{
	strbuf sb;
	(void)state;

	sb_init(&sb, 0);
	copy_add_null(&sb);
	assert_int_equal(sb.len, 2);
	assert_string_equal(sb.buf, "\\N");
	sb_addc(&sb, '\t');
	copy_add_null(&sb);
	assert_string_equal(sb.buf, "\\N\t\\N");
	sb_release(&sb);
}

/* a long value grows the buffer correctly (every byte doubled) */
static void test_copy_add_text_grows(void **state)
{
	enum { N = 10000 };
	char *in = xmalloc(N);
	strbuf sb;
	(void)state;

	memset(in, '\\', N);
	sb_init(&sb, 0);
	copy_add_text(&sb, in, N);
	assert_int_equal(sb.len, 2 * N);
	for (size_t i = 0; i < sb.len; i++)
		assert_int_equal(sb.buf[i], '\\');
	assert_int_equal(sb.buf[sb.len], '\0');
	sb_release(&sb);
	free(in);
}

/* ---- copy_decode_field ---- */

typedef struct decode_case {
	const char *name;
	const char *in;
	size_t n;
	const char *out;
	size_t out_n;
} decode_case;

static const decode_case decode_cases[] = {
	{ "plain", B("abc"), B("abc") },
	{ "empty", B(""), B("") },
	{ "escapes", B("a\\tb\\nc\\rd"), B("a\tb\nc\rd") },
	{ "escaped backslash", B("a\\\\b"), B("a\\b") },
	{ "escaped backslash then t", B("\\\\t"), B("\\t") },
	{ "escaped dot", B("\\\\."), B("\\.") },
};

static void test_copy_decode_field(void **state)
{
	const decode_case *c = *state;
	char *s = unit_dup(c->in, c->n);
	size_t n = copy_decode_field(s, c->n);

	assert_int_equal(n, c->out_n);
	assert_memory_equal(s, c->out, n);
	free(s);
}

/* ---- copy_decode_row ---- */

typedef struct row_case {
	const char *name;
	const char *line;
	const char *want[3]; /* NULL: SQL NULL; "-": the field is not there (NULL too) */
} row_case;

static const row_case row_cases[] = {
	{ "three fields", "1\tab\tc", { "1", "ab", "c" } },
	{ "NULL and empty", "\\N\t\t\\N", { NULL, "", NULL } },
	{ "escaped tab inside a value", "a\\tb\tx\ty", { "a\tb", "x", "y" } },
	{ "a literal backslash-N is a value", "\\\\N\tx\ty", { "\\N", "x", "y" } },
	{ "fewer fields than columns", "only", { "only", "-", "-" } },
	{ "more fields than columns", "a\tb\tc\td", { "a", "b", "c" } },
};

static void test_copy_decode_row(void **state)
{
	const row_case *c = *state;
	char *line = unit_dup(c->line, strlen(c->line) + 1);
	char *vals[3];
	unsigned long lens[3];

	copy_decode_row(line, 3, vals, lens);
	for (int i = 0; i < 3; i++) {
		if (!c->want[i] || strcmp(c->want[i], "-") == 0) {
			assert_null(vals[i]);
			assert_int_equal(lens[i], 0);
		} else {
			assert_non_null(vals[i]);
			assert_int_equal(lens[i], strlen(c->want[i]));
			assert_memory_equal(vals[i], c->want[i], lens[i]);
		}
	}
	free(line);
}

/* round trip: decode(encode(s)) == s, and the encoded field holds no raw
 * TAB, LF or CR (they would split the row) */
static void check_round_trip(const char *s, size_t n)
{
	strbuf sb;
	size_t m;

	sb_init(&sb, 0);
	copy_add_text(&sb, s, n);
	assert_null(memchr(sb.buf, '\t', sb.len));
	assert_null(memchr(sb.buf, '\n', sb.len));
	assert_null(memchr(sb.buf, '\r', sb.len));
	m = copy_decode_field(sb.buf, sb.len);
	assert_int_equal(m, n);
	assert_memory_equal(sb.buf, s, n);
	sb_release(&sb);
}

static void test_round_trip_rows(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(text_cases); i++)
		check_round_trip(text_cases[i].in, text_cases[i].n);
	for (size_t i = 0; i < ARRAY_SIZE(decode_cases); i++)
		check_round_trip(decode_cases[i].in, decode_cases[i].n);
}

static void test_round_trip_every_byte(void **state)
{
	(void)state;
	for (int a = 0; a < 256; a++) {
		for (int b = 0; b < 256; b++) {
			char s[3] = { (char)a, (char)b, '\\' };
			check_round_trip(s, 1);
			check_round_trip(s, 2);
			check_round_trip(s, 3);
		}
	}
}

/* many generated strings over the bytes that matter to COPY */
static void test_round_trip_generated(void **state)
{
	static const char alphabet[] = { '\\', '\t', '\n', '\r', 'N', '.', 't', 'n', 'r',
					 'x', '\0', (char)0xc3, (char)0xa9, ' ' };
	uint64_t seed = 0x9e3779b97f4a7c15u;
	char s[64];
	(void)state;

	for (int i = 0; i < 20000; i++) {
		size_t n = unit_rand(&seed) % sizeof(s);
		for (size_t j = 0; j < n; j++)
			s[j] = alphabet[unit_rand(&seed) % sizeof(alphabet)];
		check_round_trip(s, n);
	}
}

int main(void)
{
	unit_list l = { 0 };

	UNIT_ROWS(&l, "utf8_valid", test_utf8_valid, utf8_cases);
	unit_add(&l, "utf8_valid: length is honoured", NULL, test_utf8_valid_respects_length, NULL);
	unit_add(&l, "utf8_valid: long values, a bad byte at every offset", NULL, test_utf8_valid_long_values, NULL);
	UNIT_ROWS(&l, "copy_add_text", test_copy_add_text, text_cases);
	unit_add(&l, "copy_add_text: long value grows the buffer", NULL, test_copy_add_text_grows, NULL);
	UNIT_ROWS(&l, "copy_add_bytea", test_copy_add_bytea, bytea_cases);
	unit_add(&l, "copy_add_bytea: all 256 byte values", NULL, test_copy_add_bytea_all_bytes, NULL);
	unit_add(&l, "copy_add_null", NULL, test_copy_add_null, NULL);
	UNIT_ROWS(&l, "copy_decode_field", test_copy_decode_field, decode_cases);
	UNIT_ROWS(&l, "copy_decode_row", test_copy_decode_row, row_cases);
	unit_add(&l, "round trip: table rows", NULL, test_round_trip_rows, NULL);
	unit_add(&l, "round trip: every 1..3 byte string", NULL, test_round_trip_every_byte, NULL);
	unit_add(&l, "round trip: 20000 generated strings", NULL, test_round_trip_generated, NULL);
	return unit_run(&l, "encode", NULL, NULL);
}
