/*
 * util.h: small helpers shared by every file: allocation that aborts on
 * out-of-memory (so callers need no NULL checks), a growable byte buffer,
 * and string helpers.
 */
#ifndef ETLRE_UTIL_H
#define ETLRE_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define MUSTCHECK __attribute__((warn_unused_result))
#define PRINTF_LIKE(f, a) __attribute__((format(printf, f, a)))

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
/* xstrdup_or_null: a copy of s, or NULL when s is (an SQL NULL field) */
char *xstrdup_or_null(const char *s);
char *xstrndup(const char *s, size_t n);
/* array_grow: arr (n elements of size bytes, room for *cap) with room for
 * one more, the new slot zeroed; *cap doubles when full. Returns the array,
 * which may have moved (the old pointer is then invalid). */
void *array_grow(void *arr, int n, int *cap, size_t size);
/* ARRAY_PUSH: appends one zeroed element to arr (n elements, capacity cap,
 * both lvalues) and evaluates to a pointer to it */
#define ARRAY_PUSH(arr, n, cap) ((arr) = array_grow((arr), (n), &(cap), sizeof(*(arr))), &(arr)[(n)++])
/*
 * row_array: a query's rows collected into an array (the caller owns items
 * and what fill puts in them). row_array_add is the row callback (a
 * tgt_row_fn): it appends a zeroed element of elem_size bytes and has fill
 * set it from the row's values (NULL for SQL NULL).
 */
typedef struct row_array {
	size_t elem_size;
	void (*fill)(void *elem, char **values);
	void *items;
	int n, cap;
} row_array;
bool row_array_add(void *ctx, int ncols, char **values);
/* field_int64, field_double: the number in a query answer's field, 0 for
 * NULL (SQL NULL) */
int64_t field_int64(const char *v);
double field_double(const char *v);
/* field_index: the integer in field v less base (the SQL counting from 0 or
 * 1) when that is an index into n elements; -1 for NULL or out of range */
int field_index(const char *v, int base, int n);
/* xasprintf: returns a newly allocated formatted string; the caller owns it. */
char *xasprintf(const char *fmt, ...) PRINTF_LIKE(1, 2);

/*
 * strbuf: a growable byte buffer, always NUL-terminated after len bytes.
 * sb_init gives an empty buffer; sb_release frees the storage; sb_detach hands
 * the storage to the caller and leaves the buffer empty.
 */
typedef struct strbuf {
	char *buf;
	size_t len;
	size_t alloc;
} strbuf;

void sb_init(strbuf *sb, size_t hint);
void sb_release(strbuf *sb);
char *sb_detach(strbuf *sb);
void sb_reset(strbuf *sb);
void sb_grow(strbuf *sb, size_t extra);
void sb_add(strbuf *sb, const void *data, size_t n);
void sb_addc(strbuf *sb, char c);
void sb_adds(strbuf *sb, const char *s);
void sb_addf(strbuf *sb, const char *fmt, ...) PRINTF_LIKE(2, 3);

/* str_trim: trims ASCII whitespace in place; returns s. */
char *str_trim(char *s);
/*
 * str_split: splits s on sep into trimmed, newly allocated parts, skipping
 * empty ones. Returns the count; *out is a new array the caller frees with
 * str_list_free.
 */
int str_split(const char *s, char sep, char ***out);
void str_list_free(char **list, int n);
bool str_to_int64(const char *s, int64_t *out);
/* monotonic seconds, for durations */
double now_monotonic(void);
/* now_iso8601_utc: writes the current UTC time as 2025-11-02T13:00:00Z */
void now_iso8601_utc(char out[32]);
/* duration_parse: a whole number and a unit, s (seconds), m (minutes), h
 * (hours), d (days) or w (weeks), e.g. 90m, 36h, 2d, into seconds (> 0, at
 * most 100 years); false for anything else */
bool duration_parse(const char *s, int64_t *seconds);
/* duration_format: seconds as the largest units, e.g. 1d 2h, 5m 3s, 0s, into
 * out (at least 32 bytes) */
void duration_format(int64_t seconds, char *out);
/* dir_writable: true when dir is a directory where a file can be created
 * (one is created and removed); else err gets why. Logs nothing. */
/* file_create_probe: creates path exclusively (with is_template, a mkstemp
 * template that gets the name chosen) and removes it again. Returns 0, or the
 * errno of the failure. */
int file_create_probe(char *path, bool is_template);
bool dir_writable(const char *dir, char *err, size_t errsize);

#endif
