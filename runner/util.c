/*
 * util.c: allocation wrappers that abort on out-of-memory, the strbuf growable
 * buffer, string helpers used across etlre, durations, and a probe that a
 * directory takes new files.
 */
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static void die_oom(size_t n)
{
	fprintf(stderr, "etlre: out of memory (asked for %zu bytes)\n", n);
	abort();
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		die_oom(n);
	return p;
}

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p)
		die_oom(n * size);
	return p;
}

void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q)
		die_oom(n);
	return q;
}

void *array_grow(void *arr, int n, int *cap, size_t size)
{
	if (n >= *cap) {
		*cap = *cap ? 2 * *cap : 16;
		arr = xrealloc(arr, size * (size_t)*cap);
	}
	memset((char *)arr + size * (size_t)n, 0, size);
	return arr;
}

bool row_array_add(void *ctx, int ncols, char **values)
{
	row_array *a = ctx;

	(void)ncols;
	a->items = array_grow(a->items, a->n, &a->cap, a->elem_size);
	a->fill((char *)a->items + a->elem_size * (size_t)a->n++, values);
	return true;
}

int64_t field_int64(const char *v)
{
	return v ? strtoll(v, NULL, 10) : 0;
}

double field_double(const char *v)
{
	return v ? strtod(v, NULL) : 0;
}

int field_index(const char *v, int base, int n)
{
	long long i;

	if (!v)
		return -1;
	i = strtoll(v, NULL, 10) - base;
	return i >= 0 && i < n ? (int)i : -1;
}

char *xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *xstrdup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

char *xstrndup(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *xasprintf(const char *fmt, ...)
{
	strbuf sb;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	sb_init(&sb, (size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(sb.buf, (size_t)n + 1, fmt, ap);
	va_end(ap);
	sb.len = (size_t)n;
	return sb_detach(&sb);
}

void sb_init(strbuf *sb, size_t hint)
{
	sb->alloc = hint < 64 ? 64 : hint;
	sb->buf = xmalloc(sb->alloc);
	sb->buf[0] = '\0';
	sb->len = 0;
}

void sb_release(strbuf *sb)
{
	free(sb->buf);
	sb->buf = NULL;
	sb->len = sb->alloc = 0;
}

char *sb_detach(strbuf *sb)
{
	char *p = sb->buf;
	sb->buf = NULL;
	sb->len = sb->alloc = 0;
	return p;
}

void sb_reset(strbuf *sb)
{
	sb->len = 0;
	sb->buf[0] = '\0';
}

void sb_grow(strbuf *sb, size_t extra)
{
	size_t need = sb->len + extra + 1;
	if (need <= sb->alloc)
		return;
	size_t n = sb->alloc ? sb->alloc : 64;
	while (n < need)
		n *= 2;
	sb->buf = xrealloc(sb->buf, n);
	sb->alloc = n;
}

void sb_add(strbuf *sb, const void *data, size_t n)
{
	sb_grow(sb, n);
	memcpy(sb->buf + sb->len, data, n);
	sb->len += n;
	sb->buf[sb->len] = '\0';
}

void sb_addc(strbuf *sb, char c)
{
	sb_grow(sb, 1);
	sb->buf[sb->len++] = c;
	sb->buf[sb->len] = '\0';
}

void sb_adds(strbuf *sb, const char *s)
{
	sb_add(sb, s, strlen(s));
}

void sb_addf(strbuf *sb, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(sb->buf + sb->len, sb->alloc - sb->len, fmt, ap);
	va_end(ap);
	if ((size_t)n >= sb->alloc - sb->len) {
		sb_grow(sb, (size_t)n);
		va_start(ap, fmt);
		vsnprintf(sb->buf + sb->len, sb->alloc - sb->len, fmt, ap);
		va_end(ap);
	}
	sb->len += (size_t)n;
}

char *str_trim(char *s)
{
	char *start = s, *end;

	while (*start && isspace((unsigned char)*start))
		start++;
	end = start + strlen(start);
	while (end > start && isspace((unsigned char)end[-1]))
		end--;
	memmove(s, start, (size_t)(end - start));
	s[end - start] = '\0';
	return s;
}

int str_split(const char *s, char sep, char ***out)
{
	char **list = NULL;
	int n = 0;
	const char *p = s;

	for (;;) {
		const char *q = strchr(p, sep);
		size_t len = q ? (size_t)(q - p) : strlen(p);
		char *part = str_trim(xstrndup(p, len));

		if (*part) {
			list = xrealloc(list, sizeof(*list) * (size_t)(n + 1));
			list[n++] = part;
		} else {
			free(part);
		}
		if (!q)
			break;
		p = q + 1;
	}
	*out = list;
	return n;
}

void str_list_free(char **list, int n)
{
	for (int i = 0; i < n; i++)
		free(list[i]);
	free(list);
}

bool str_to_int64(const char *s, int64_t *out)
{
	char *end;
	long long v;

	if (!s || !*s || isspace((unsigned char)*s))
		return false;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || *end)
		return false;
	*out = v;
	return true;
}

double now_monotonic(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void now_iso8601_utc(char out[32])
{
	time_t t = time(NULL);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

bool duration_parse(const char *s, int64_t *seconds)
{
	static const struct { char unit; int64_t seconds; } units[] = {
		{ 's', 1 }, { 'm', 60 }, { 'h', 3600 }, { 'd', 86400 }, { 'w', 7 * 86400 },
	};
	size_t len = s ? strlen(s) : 0;
	int64_t n;
	char digits[24];

	if (len < 2 || len - 1 >= sizeof(digits) || !isdigit((unsigned char)s[0]))
		return false;
	memcpy(digits, s, len - 1);
	digits[len - 1] = '\0';
	if (!str_to_int64(digits, &n) || n <= 0)
		return false;
	for (size_t i = 0; i < ARRAY_SIZE(units); i++) {
		if (s[len - 1] != units[i].unit)
			continue;
		if (n > 100 * 366 * 86400LL / units[i].seconds)
			return false;
		*seconds = n * units[i].seconds;
		return true;
	}
	return false;
}

void duration_format(int64_t seconds, char *out)
{
	static const struct { char unit; int64_t seconds; } units[] = {
		{ 'd', 86400 }, { 'h', 3600 }, { 'm', 60 }, { 's', 1 },
	};
	int used = 0;
	size_t len = 0;

	out[0] = '\0';
	if (seconds < 0)
		seconds = 0;
	for (size_t i = 0; i < ARRAY_SIZE(units) && used < 2; i++) {
		int64_t n = seconds / units[i].seconds;
		if (n == 0 && !(used == 0 && units[i].unit == 's'))
			continue;
		len += (size_t)snprintf(out + len, 32 - len, "%s%lld%c", used ? " " : "", (long long)n,
					units[i].unit);
		seconds -= n * units[i].seconds;
		used++;
	}
}

int file_create_probe(char *path, bool is_template)
{
	int fd = is_template ? mkstemp(path) : open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);

	if (fd < 0)
		return errno;
	close(fd);
	unlink(path);
	return 0;
}

bool dir_writable(const char *dir, char *err, size_t errsize)
{
	struct stat st;
	char *tmp;
	int e;

	if (stat(dir, &st) != 0) {
		snprintf(err, errsize, "'%s': %s", dir, strerror(errno));
		return false;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(err, errsize, "'%s' is not a directory", dir);
		return false;
	}
	tmp = xasprintf("%s/.etlre-check.XXXXXX", dir);
	e = file_create_probe(tmp, true);
	free(tmp);
	if (e != 0) {
		snprintf(err, errsize, "cannot create a file in '%s': %s", dir, strerror(e));
		return false;
	}
	return true;
}
