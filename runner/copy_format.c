/*
 * copy_format.c: a table's COPY format and its rows' encoding (see
 * copy_format.h). The binary encoders are in encode_binary.c; the text
 * encoding of a value is typemap_copy_value's.
 */
#include "copy_format.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "chunk.h"
#include "encode_binary.h"
#include "log.h"
#include "typemap.h"

/* the type each binary kind is sent for, as format_type() names it (a
 * domain over the type has its own name and stays text) */
static const struct {
	value_type type;
	const char *name;   /* the whole name, or its start before a "(" */
	const char *suffix; /* what follows the typmod, "" for none */
	bin_kind kind;
} binary_types[] = {
	{ VT_INT2, "smallint", "", BK_INT2 },
	{ VT_INT4, "integer", "", BK_INT4 },
	{ VT_INT8, "bigint", "", BK_INT8 },
	{ VT_FLOAT4, "real", "", BK_FLOAT4 },
	{ VT_FLOAT8, "double precision", "", BK_FLOAT8 },
	{ VT_BOOL, "boolean", "", BK_BOOL },
	{ VT_NUMERIC, "numeric", "", BK_NUMERIC },
	{ VT_TEXT, "text", "", BK_RAW },
	{ VT_VARCHAR, "character varying", "", BK_RAW },
	{ VT_CHAR, "character", "", BK_RAW },
	{ VT_CHAR, "bpchar", "", BK_RAW },
	{ VT_BYTEA, "bytea", "", BK_RAW },
	{ VT_JSON, "json", "", BK_RAW },
	{ VT_JSON, "jsonb", "", BK_JSONB },
	{ VT_DATE, "date", "", BK_DATE },
	{ VT_TIMESTAMP, "timestamp", " without time zone", BK_TIMESTAMP },
	{ VT_TIMESTAMPTZ, "timestamp", " with time zone", BK_TIMESTAMP },
	{ VT_TIME, "time", " without time zone", BK_TIME },
	{ VT_BIT, "bit", "", BK_BIT },
	{ VT_BIT, "bit varying", "", BK_BIT },
	{ VT_TEXT_ARRAY, "text", "[]", BK_SET_TEXT_ARRAY },
	{ VT_TEXT_ARRAY, "character varying", "[]", BK_SET_VARCHAR_ARRAY },
};

/* type_name_is: format_type's name is name, name(...), or either followed by suffix */
static bool type_name_is(const char *type_name, const char *name, const char *suffix)
{
	size_t n = strlen(name);
	const char *rest = type_name + n;

	if (strncmp(type_name, name, n) != 0)
		return false;
	if (*rest == '(') {
		rest = strchr(rest, ')');
		if (!rest)
			return false;
		rest++;
	}
	return strcmp(rest, suffix) == 0;
}

bin_kind copy_bin_kind(const column_spec *c, const char **why)
{
	*why = "of a type etlre sends as text only";
	if (!c->type_name)
		return BK_NONE;
	for (size_t i = 0; i < sizeof(binary_types) / sizeof(binary_types[0]); i++) {
		if (binary_types[i].type != c->type ||
		    !type_name_is(c->type_name, binary_types[i].name, binary_types[i].suffix))
			continue;
		/* a naive time into timestamptz is read in the session's zone by
		 * PostgreSQL's text input; the instant is computed here only in UTC */
		if (c->type == VT_TIMESTAMPTZ && c->src != SK_TIMESTAMP && !zone_is_utc()) {
			*why = "a time without zone into timestamptz outside UTC";
			return BK_NONE;
		}
		/* an array's text is parsed by PostgreSQL, but for a SET's members */
		if (c->type == VT_TEXT_ARRAY && c->src != SK_SET) {
			*why = "an array from a source column that is not a SET";
			return BK_NONE;
		}
		return binary_types[i].kind;
	}
	return BK_NONE;
}

void copy_format_init(copy_format *f, const column_spec *cols, int ncols, const char *copy_sql,
		      const char *table, const char *hour_iso)
{
	memset(f, 0, sizeof(*f));
	f->cols = cols;
	f->ncols = ncols;
	f->kinds = xcalloc((size_t)(ncols > 0 ? ncols : 1), sizeof(bin_kind));
	for (int i = 0; i < ncols; i++) {
		const char *why;
		f->kinds[i] = copy_bin_kind(&cols[i], &why);
		if (f->kinds[i] == BK_NONE) {
			log_debug("table %s hour %s: COPY text because column %s is %s (%s)", table,
				  hour_iso, cols[i].name, cols[i].type_name ? cols[i].type_name : "?",
				  why);
			free(f->kinds);
			f->kinds = NULL;
			return;
		}
	}
	f->binary_sql = xasprintf("%s (FORMAT binary)", copy_sql);
	log_debug("table %s hour %s: COPY binary", table, hour_iso);
}

void copy_format_release(copy_format *f)
{
	free(f->kinds);
	free(f->binary_sql);
	f->kinds = NULL;
	f->binary_sql = NULL;
}

void copy_text_row(strbuf *data, const copy_format *f, char *const *vals,
		   const unsigned long *lens)
{
	for (int i = 0; i < f->ncols; i++) {
		if (i)
			sb_addc(data, '\t');
		typemap_copy_value(data, &f->cols[i], vals[i], lens[i]);
	}
	sb_addc(data, '\n');
}

/* put32: x big-endian at p */
static inline void put32(char *p, uint32_t x)
{
	p[0] = (char)(x >> 24);
	p[1] = (char)(x >> 16);
	p[2] = (char)(x >> 8);
	p[3] = (char)x;
}

bool copy_binary_row(strbuf *data, strbuf *keep, const copy_format *f, char *const *vals,
		     const unsigned long *lens)
{
	size_t need = 2, keep_need = 0;
	char *out, *kept;

	/* room for the whole row at once: the fields are written unchecked */
	for (int i = 0; i < f->ncols; i++) {
		need += bin_value_bound(f->kinds[i], vals[i], lens[i]);
		keep_need += 4 + (vals[i] ? lens[i] : 0);
	}
	sb_grow(data, need);
	sb_grow(keep, keep_need);
	out = data->buf + data->len;
	kept = keep->buf + keep->len;
	out[0] = (char)(f->ncols >> 8);
	out[1] = (char)f->ncols;
	out += 2;
	for (int i = 0; i < f->ncols; i++) {
		size_t n = bin_put_value(out, f->kinds[i], vals[i], lens[i]);
		if (n == 0)
			return false; /* nothing counted in either buffer yet */
		out += n;
		/* kept for a refusal: the text it was encoded from */
		put32(kept, vals[i] ? (uint32_t)lens[i] : UINT32_MAX);
		if (vals[i])
			memcpy(kept + 4, vals[i], lens[i]);
		kept += 4 + (vals[i] ? lens[i] : 0);
	}
	data->len = (size_t)(out - data->buf);
	keep->len = (size_t)(kept - keep->buf);
	return true;
}

/* get32: the big-endian 32-bit value at p */
static int32_t get32(const char *p)
{
	const unsigned char *u = (const unsigned char *)p;

	return (int32_t)((uint32_t)u[0] << 24 | (uint32_t)u[1] << 16 | (uint32_t)u[2] << 8 | u[3]);
}

void copy_kept_to_text(strbuf *data, size_t *row_end, const copy_format *f, const strbuf *keep,
		       int nrows)
{
	size_t at = 0;
	char **vals = xcalloc((size_t)(f->ncols > 0 ? f->ncols : 1), sizeof(char *));
	unsigned long *lens = xcalloc((size_t)(f->ncols > 0 ? f->ncols : 1), sizeof(unsigned long));

	sb_reset(data);
	for (int r = 0; r < nrows; r++) {
		for (int i = 0; i < f->ncols; i++) {
			int32_t n = get32(keep->buf + at);
			at += 4;
			vals[i] = n < 0 ? NULL : keep->buf + at;
			lens[i] = n < 0 ? 0 : (unsigned long)n;
			at += lens[i];
		}
		copy_text_row(data, f, vals, lens);
		row_end[r] = data->len;
	}
	free(vals);
	free(lens);
}

/* the batch buffers kept for the next window (of any thread) */
static strbuf spare[2];
static pthread_mutex_t spare_lock = PTHREAD_MUTEX_INITIALIZER;
static bool spare_atexit;

void copy_buffer_take(strbuf *sb, size_t hint)
{
	pthread_mutex_lock(&spare_lock);
	for (int i = 0; i < 2; i++) {
		if (spare[i].buf) {
			*sb = spare[i];
			memset(&spare[i], 0, sizeof(spare[i]));
			pthread_mutex_unlock(&spare_lock);
			sb_reset(sb);
			return;
		}
	}
	pthread_mutex_unlock(&spare_lock);
	sb_init(sb, hint);
}

void copy_buffer_give(strbuf *sb)
{
	pthread_mutex_lock(&spare_lock);
	if (!spare_atexit)
		spare_atexit = atexit(copy_buffers_free) == 0;
	for (int i = 0; i < 2; i++) {
		if (!spare[i].buf) {
			spare[i] = *sb;
			memset(sb, 0, sizeof(*sb));
			pthread_mutex_unlock(&spare_lock);
			return;
		}
	}
	pthread_mutex_unlock(&spare_lock);
	sb_release(sb);
}

void copy_buffers_free(void)
{
	pthread_mutex_lock(&spare_lock);
	for (int i = 0; i < 2; i++)
		sb_release(&spare[i]);
	pthread_mutex_unlock(&spare_lock);
}
