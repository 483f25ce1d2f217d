/*
 * config.c: reading etlre.conf (see config.h). The known settings are listed
 * once, in the settings[] table below, with the section they belong to; any
 * other key, or an unknown section, is an error naming file and line.
 */
#include "config.h"

#include <ctype.h>
#include <stddef.h>
#include <errno.h>
#include <ini.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "log.h"

typedef enum { SEC_SOURCE, SEC_TARGET, SEC_ETLRE, SEC_TABLE } section_kind;

typedef struct parse_state {
	config *cfg;
	char **sections;     /* real names of the headers, in order (see header_read) */
	int nsections;
	char error[512];
	char current_section[256];
	table_config *table; /* current [table NAME] */
	uint64_t seen;       /* the settings[] rows set in the current section */
} parse_state;

typedef bool (*setting_fn)(parse_state *st, const char *key, const char *value);

/* set_string: *slot = a copy of value (ini_handler_cb refused a second one) */
static bool set_string(char **slot, const char *value)
{
	*slot = xstrdup(value);
	return true;
}

/* set_count: *dst = v, a whole number of units from 1 to max */
static bool set_count(parse_state *st, const char *k, const char *v, int *dst, int max,
		      const char *units)
{
	int64_t n;
	if (!str_to_int64(v, &n) || n < 1 || n > max) {
		snprintf(st->error, sizeof(st->error), "'%s' must be a number of %s (1-%d), not '%s'",
			 k, units, max, v);
		return false;
	}
	*dst = (int)n;
	return true;
}
static bool set_list(char ***list, int *n, parse_state *st, const char *k, const char *v)
{
	*n = str_split(v, ',', list);
	if (*n == 0) {
		snprintf(st->error, sizeof(st->error), "'%s' is empty", k);
		return false;
	}
	for (int i = 0; i < *n; i++) {
		if (!ident_valid((*list)[i])) {
			snprintf(st->error, sizeof(st->error),
				 "'%s': '%s' is not a plain column name (letters, digits, _)", k,
				 (*list)[i]);
			return false;
		}
	}
	return true;
}
/* choose: *second = whether v is b; false with st->error set when v is
 * neither a nor b */
static bool choose(parse_state *st, const char *k, const char *v, const char *a, const char *b,
		   bool *second)
{
	*second = strcmp(v, b) == 0;
	if (*second || strcmp(v, a) == 0)
		return true;
	snprintf(st->error, sizeof(st->error), "%s must be %s or %s, not '%s'", k, a, b, v);
	return false;
}
static bool set_t_mode(parse_state *st, const char *k, const char *v)
{
	bool merge = false, ok = choose(st, k, v, "replace", "merge", &merge);

	st->table->mode = merge ? MODE_MERGE : MODE_REPLACE;
	return ok;
}
static bool set_t_zero_dates(parse_state *st, const char *k, const char *v)
{
	return choose(st, k, v, "null", "reject", &st->table->zero_dates_reject);
}
static bool set_t_partitions(parse_state *st, const char *k, const char *v)
{
	bool monthly = false, ok = choose(st, k, v, "daily", "monthly", &monthly);

	st->table->partitions = monthly ? PARTITIONS_MONTHLY : PARTITIONS_DAILY;
	return ok;
}

/* How a setting's value is stored: a string, a count (1 to max units), a
 * comma-separated list of column names, or by a function of its own. */
typedef enum { V_STRING, V_COUNT, V_LIST, V_FN } value_kind;

/* The settings etlre knows, by section. A field is at offset in the config
 * ([source], [target], [etlre]) or in the current table_config ([table]).
 * Prefix settings (expr.*, check.*) are handled in table_prefixed(). */
static const struct setting {
	section_kind section;
	const char *name;
	value_kind kind;
	size_t offset;      /* V_STRING, V_COUNT, V_LIST: the field */
	size_t count;       /* V_LIST: the field holding the list's length */
	int max;            /* V_COUNT: the largest value, and its units */
	const char *units;
	setting_fn set;     /* V_FN */
	const char *doc;
} settings[] = {
/* the value columns of a row of settings[], by kind */
#define STRING(type, field) V_STRING, offsetof(type, field), 0, 0, NULL, NULL
#define COUNT(field, max, units) V_COUNT, offsetof(config, field), 0, max, units, NULL
#define LIST(field) \
	V_LIST, offsetof(table_config, field), offsetof(table_config, n##field), 0, NULL, NULL
#define FN(fn) V_FN, 0, 0, 0, NULL, fn
	{ SEC_SOURCE, "url", STRING(config, source_url),
	  "MariaDB URL mariadb://user[:password]@host[:port]/db" },
	{ SEC_SOURCE, "password_file", STRING(config, source_password_file),
	  "file whose first line is the source password" },
	{ SEC_TARGET, "url", STRING(config, target_url),
	  "libpq URI or conninfo of the PostgreSQL target" },
	{ SEC_ETLRE, "schema", STRING(config, schema),
	  "schema of etlre's own tables in the target (etlre)" },
	{ SEC_ETLRE, "timezone", STRING(config, timezone), "zone of source DATETIME values (UTC)" },
	{ SEC_ETLRE, "connect_timeout", COUNT(connect_timeout, 3600, "seconds"),
	  "seconds to wait for a connection (10)" },
	{ SEC_ETLRE, "network_timeout", COUNT(network_timeout, MAX_NETWORK_TIMEOUT, "seconds"),
	  "seconds of silence from a server before etlre gives up on it, without --timeout (300)" },
	{ SEC_ETLRE, "stuck_after", COUNT(stuck_after, MAX_STUCK_AFTER, "seconds"),
	  "seconds without a heartbeat after which a live job is reported stuck (900)" },
	{ SEC_ETLRE, "rejects_dir", STRING(config, rejects_dir),
	  "directory of --rejects-file paths that are not absolute (the current one)" },
	{ SEC_ETLRE, "max_range_days", COUNT(max_range_days, MAX_MAX_RANGE_DAYS, "days"),
	  "longest range of days in one run (3660)" },
	{ SEC_ETLRE, "jobs", COUNT(jobs, MAX_JOBS, "worker processes"),
	  "worker processes of a job without --jobs (the machine's cores, at most 4)" },
	{ SEC_TABLE, "source", STRING(table_config, source), "source table, optionally db.table" },
	{ SEC_TABLE, "target", STRING(table_config, target), "target table, optionally schema.table" },
	{ SEC_TABLE, "time_column", STRING(table_config, time_column), "column deciding a row's hour" },
	{ SEC_TABLE, "key", LIST(key), "unique key, comma-separated" },
	{ SEC_TABLE, "columns", LIST(columns), "columns to load (default: all shared)" },
	{ SEC_TABLE, "mode", FN(set_t_mode), "replace or merge" },
	{ SEC_TABLE, "zero_dates", FN(set_t_zero_dates),
	  "zero dates: null (when the column allows it) or reject" },
	{ SEC_TABLE, "after_day", STRING(table_config, after_day), "SQL file run after each day" },
	{ SEC_TABLE, "partitions", FN(set_t_partitions),
	  "daily or monthly: create the missing range partitions of a partitioned target" },
#undef STRING
#undef COUNT
#undef LIST
#undef FN
};

_Static_assert(ARRAY_SIZE(settings) <= 64, "parse_state.seen has a bit per row of settings[]");

/* apply_setting: stores value for setting s (named key) as its kind says;
 * false with st->error set when the value is not valid */
static bool apply_setting(parse_state *st, const struct setting *s, const char *key,
			  const char *value)
{
	char *base = s->section == SEC_TABLE ? (char *)st->table : (char *)st->cfg;

	switch (s->kind) {
	case V_STRING:
		return set_string((char **)(void *)(base + s->offset), value);
	case V_COUNT:
		return set_count(st, key, value, (int *)(void *)(base + s->offset), s->max, s->units);
	case V_LIST:
		return set_list((char ***)(void *)(base + s->offset), (int *)(void *)(base + s->count),
				st, key, value);
	case V_FN:
		break;
	}
	return s->set(st, key, value);
}

static bool table_prefixed(parse_state *st, const char *key, const char *value)
{
	table_config *t = st->table;
	named_expr **list;
	int *n;
	const char *name;

	if (strncmp(key, "expr.", 5) == 0) {
		list = &t->exprs;
		n = &t->nexprs;
		name = key + 5;
	} else if (strncmp(key, "check.", 6) == 0) {
		list = &t->checks;
		n = &t->nchecks;
		name = key + 6;
	} else {
		return false;
	}
	if (!ident_valid(name)) {
		snprintf(st->error, sizeof(st->error), "'%s': '%s' is not a plain name", key, name);
		return false;
	}
	if (!*value) {
		snprintf(st->error, sizeof(st->error), "'%s' has an empty expression", key);
		return false;
	}
	for (int i = 0; i < *n; i++) {
		if (strcmp((*list)[i].name, name) == 0) {
			snprintf(st->error, sizeof(st->error), "'%s' is set twice", key);
			return false;
		}
	}
	*list = xrealloc(*list, sizeof(**list) * (size_t)(*n + 1));
	(*list)[*n].name = xstrdup(name);
	(*list)[*n].expr = xstrdup(value);
	(*n)++;
	return true;
}

static bool enter_section(parse_state *st, const char *section, section_kind *kind)
{
	config *cfg = st->cfg;

	if (section[0] == '#') /* see header_read */
		section = st->sections[atoi(section + 1)];

	if (strcmp(section, st->current_section) == 0 && st->current_section[0]) {
		*kind = strcmp(section, "source") == 0   ? SEC_SOURCE
			: strcmp(section, "target") == 0 ? SEC_TARGET
			: strcmp(section, "etlre") == 0  ? SEC_ETLRE
							 : SEC_TABLE;
		return true;
	}
	snprintf(st->current_section, sizeof(st->current_section), "%s", section);
	st->table = NULL;
	st->seen = 0;
	if (strcmp(section, "source") == 0) {
		*kind = SEC_SOURCE;
	} else if (strcmp(section, "target") == 0) {
		*kind = SEC_TARGET;
	} else if (strcmp(section, "etlre") == 0) {
		*kind = SEC_ETLRE;
	} else if (strncmp(section, "table ", 6) == 0) {
		char *name = str_trim(xstrdup(section + 6));
		if (!ident_valid(name)) {
			snprintf(st->error, sizeof(st->error),
				 "[%s]: '%s' is not a plain table name (letters, digits, _)", section,
				 name);
			free(name);
			return false;
		}
		if (config_find_table(cfg, name)) {
			snprintf(st->error, sizeof(st->error), "[table %s] appears twice", name);
			free(name);
			return false;
		}
		cfg->tables = xrealloc(cfg->tables, sizeof(*cfg->tables) * (size_t)(cfg->ntables + 1));
		st->table = &cfg->tables[cfg->ntables++];
		memset(st->table, 0, sizeof(*st->table));
		st->table->name = name;
		*kind = SEC_TABLE;
	} else {
		snprintf(st->error, sizeof(st->error),
			 "unknown section [%s] (expected [source], [target], [etlre] or [table NAME])",
			 section);
		return false;
	}
	return true;
}

/*
 * Section headers are checked here, before inih sees them, since inih only
 * reports key lines and keeps section names shorter than 50 bytes: every
 * header must be a known section and none may repeat (a repeated [table x]
 * would otherwise merge into the first). inih then reads the file through
 * header_reader, which hands it each header as "[#N]", N the header's index
 * in parse_state.sections, so table names of any valid length survive.
 */
typedef struct header_reader {
	FILE *f;
	char *line;
	size_t cap;
	size_t len, pos;
	int lineno;
	parse_state *st;
	bool failed;
} header_reader;

/* header_name: the name inside a [header] line, trimmed, or NULL if the line
 * is not a header; *bad is set when it is one without a ']' */
static char *header_name(char *line, bool *bad)
{
	char *p = line, *close;

	*bad = false;
	if (strncmp(p, "\xEF\xBB\xBF", 3) == 0)
		p += 3;
	while (isspace((unsigned char)*p))
		p++;
	if (*p != '[')
		return NULL;
	close = strchr(p, ']');
	if (!close) {
		*bad = true;
		return NULL;
	}
	return str_trim(xstrndup(p + 1, (size_t)(close - p - 1)));
}

static bool check_header(header_reader *r, char *name)
{
	parse_state *st = r->st;
	bool known = strcmp(name, "source") == 0 || strcmp(name, "target") == 0 ||
		     strcmp(name, "etlre") == 0 || strncmp(name, "table ", 6) == 0;

	if (!known) {
		log_error("%s:%d: unknown section [%s] (expected [source], [target], [etlre] or "
			  "[table NAME])",
			  st->cfg->path, r->lineno, name);
		return false;
	}
	for (int i = 0; i < st->nsections; i++) {
		if (strcmp(st->sections[i], name) == 0) {
			log_error("%s:%d: [%s] appears twice", st->cfg->path, r->lineno, name);
			return false;
		}
	}
	return true;
}

/* header_read: an fgets() for inih (see above); stops at the first bad header */
static char *header_read(char *str, int num, void *stream)
{
	header_reader *r = stream;
	size_t n = 0;

	if (r->failed || num <= 1)
		return NULL;
	if (r->pos >= r->len) {
		ssize_t got = getline(&r->line, &r->cap, r->f);
		bool bad;
		char *name;

		if (got < 0) {
			if (ferror(r->f)) { /* a directory, an I/O error */
				log_error("cannot read config file '%s': %s", r->st->cfg->path,
					  strerror(errno));
				r->failed = true;
			}
			return NULL;
		}
		r->len = (size_t)got;
		r->pos = 0;
		r->lineno++;
		if (memchr(r->line, '\0', r->len)) {
			/* inih would cut the line there and read the rest as another line */
			log_error("%s:%d: a NUL byte (not a text file?)", r->st->cfg->path, r->lineno);
			r->failed = true;
			return NULL;
		}
		name = header_name(r->line, &bad);
		if (bad) {
			log_error("%s:%d: syntax error ('[' without ']')", r->st->cfg->path, r->lineno);
			r->failed = true;
			return NULL;
		}
		if (name) {
			parse_state *st = r->st;
			if (!check_header(r, name)) {
				free(name);
				r->failed = true;
				return NULL;
			}
			st->sections = xrealloc(st->sections, sizeof(char *) * (size_t)(st->nsections + 1));
			st->sections[st->nsections] = name;
			r->len = (size_t)snprintf(r->line, r->cap, "[#%d]\n", st->nsections);
			st->nsections++;
		}
	}
	while (n < (size_t)num - 1 && r->pos < r->len) {
		char c = r->line[r->pos++];
		str[n++] = c;
		if (c == '\n')
			break;
	}
	str[n] = '\0';
	return str;
}

static int ini_handler_cb(void *user, const char *section, const char *name, const char *value)
{
	parse_state *st = user;
	section_kind kind;

	if (!*section) {
		snprintf(st->error, sizeof(st->error), "'%s' is outside any section", name);
		return 0;
	}
	if (!enter_section(st, section, &kind))
		return 0;
	if (kind == SEC_TABLE && !st->table)
		st->table = config_find_table(st->cfg, st->current_section + 6);
	for (size_t i = 0; i < ARRAY_SIZE(settings); i++) {
		if (settings[i].section != kind || strcmp(settings[i].name, name) != 0)
			continue;
		/* every key once per section (README "Configuration"), whatever
		 * its kind: a second network_timeout is an error, not the winner */
		if (st->seen & (UINT64_C(1) << i)) {
			snprintf(st->error, sizeof(st->error), "'%s' is set twice in [%s]", name,
				 st->current_section);
			return 0;
		}
		st->seen |= UINT64_C(1) << i;
		return apply_setting(st, &settings[i], name, value) ? 1 : 0;
	}
	if (kind == SEC_TABLE && (strncmp(name, "expr.", 5) == 0 || strncmp(name, "check.", 6) == 0))
		return table_prefixed(st, name, value) ? 1 : 0;
	snprintf(st->error, sizeof(st->error), "unknown setting '%s' in [%s]", name,
		 st->current_section);
	return 0;
}

bool ident_valid(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 63 || !(isalpha((unsigned char)s[0]) || s[0] == '_'))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!(isalnum((unsigned char)s[i]) || s[i] == '_' || s[i] == '$'))
			return false;
	return true;
}

bool qualified_ident_valid(const char *s)
{
	const char *dot = strchr(s, '.');
	bool ok;
	char *first;

	if (!dot)
		return ident_valid(s);
	first = xstrndup(s, (size_t)(dot - s));
	ok = ident_valid(first) && ident_valid(dot + 1);
	free(first);
	return ok;
}

char *config_find_path(const char *explicit_path)
{
	const char *env = getenv("ETLRE_CONFIG");

	if (explicit_path) {
		if (access(explicit_path, R_OK) != 0) {
			log_error("cannot read config file '%s'", explicit_path);
			return NULL;
		}
		return xstrdup(explicit_path);
	}
	if (env && *env) {
		if (access(env, R_OK) != 0) {
			log_error("cannot read config file '%s' (from $ETLRE_CONFIG)", env);
			return NULL;
		}
		return xstrdup(env);
	}
	if (access("etlre.conf", R_OK) == 0)
		return xstrdup("etlre.conf");
	if (access("/etc/etlre/etlre.conf", R_OK) == 0)
		return xstrdup("/etc/etlre/etlre.conf");
	log_error("no config file: give --config FILE, or set $ETLRE_CONFIG, or create "
		  "./etlre.conf or /etc/etlre/etlre.conf");
	return NULL;
}

/* resolve_path: makes *path, when not absolute, relative to the config
 * file's folder (replacing the string) */
static void resolve_path(const config *cfg, char **path)
{
	char *dup, *resolved;

	if (!*path || (*path)[0] == '/')
		return;
	dup = xstrdup(cfg->path);
	resolved = xasprintf("%s/%s", dirname(dup), *path);
	free(dup);
	free(*path);
	*path = resolved;
}

static bool check_table(const config *cfg, table_config *t, char *err, size_t err_size)
{
	static const char *required[] = { "source", "target", "time_column", "key" };
	const char *values[] = { t->source, t->target, t->time_column, t->key ? "x" : NULL };

	for (size_t i = 0; i < ARRAY_SIZE(required); i++) {
		if (!values[i]) {
			snprintf(err, err_size, "[table %s] needs '%s'", t->name, required[i]);
			return false;
		}
	}
	if (!qualified_ident_valid(t->source)) {
		snprintf(err, err_size, "[table %s] source '%s' is not a plain table name (table or db.table)",
			 t->name, t->source);
		return false;
	}
	if (!qualified_ident_valid(t->target)) {
		snprintf(err, err_size, "[table %s] target '%s' is not a plain table name (table or schema.table)",
			 t->name, t->target);
		return false;
	}
	if (!ident_valid(t->time_column)) {
		snprintf(err, err_size, "[table %s] time_column '%s' is not a plain column name",
			 t->name, t->time_column);
		return false;
	}
	resolve_path(cfg, &t->after_day);
	if (t->after_day && access(t->after_day, R_OK) != 0) {
		snprintf(err, err_size, "[table %s] cannot read after_day file '%s'", t->name,
			 t->after_day);
		return false;
	}
	return true;
}

bool config_load(const char *path, config *cfg)
{
	parse_state st;
	char err[600];
	const char *env;
	int rc;

	memset(cfg, 0, sizeof(*cfg));
	memset(&st, 0, sizeof(st));
	cfg->path = xstrdup(path);
	cfg->connect_timeout = 10;
	cfg->network_timeout = DEFAULT_NETWORK_TIMEOUT;
	cfg->stuck_after = DEFAULT_STUCK_AFTER;
	cfg->max_range_days = DEFAULT_MAX_RANGE_DAYS;
	st.cfg = cfg;

	/* Debian's inih exposes its options as variables: no line-length limit,
	 * no continuation lines, stop at the first error so its line is exact. */
	ini_use_stack = false;
	ini_allow_realloc = true;
	ini_max_line = 1 << 20;
	ini_allow_multiline = false;
	ini_stop_on_first_error = true;

	header_reader reader = { .st = &st };
	reader.f = fopen(path, "r");
	if (!reader.f) {
		log_error("cannot read config file '%s': %s", path, strerror(errno));
		return false;
	}
	rc = ini_parse_stream(header_read, &reader, ini_handler_cb, &st);
	fclose(reader.f);
	free(reader.line);
	str_list_free(st.sections, st.nsections);
	if (reader.failed)
		return false; /* logged by header_read */
	if (rc != 0) {
		if (rc > 0)
			log_error("%s:%d: %s", path, rc,
				  st.error[0] ? st.error : "syntax error (expected [section] or key = value)");
		else
			log_error("%s: %s", path, "cannot parse");
		return false;
	}

	resolve_path(cfg, &cfg->source_password_file);
	if (cfg->source_url)
		cfg->file_source_url = xstrdup(cfg->source_url);
	if (cfg->target_url)
		cfg->file_target_url = xstrdup(cfg->target_url);
	env = getenv("ETLRE_SOURCE_URL");
	if (env && *env) {
		free(cfg->source_url);
		cfg->source_url = xstrdup(env);
	}
	env = getenv("ETLRE_TARGET_URL");
	if (env && *env) {
		free(cfg->target_url);
		cfg->target_url = xstrdup(env);
	}
	if (!cfg->source_url) {
		log_error("%s: no source url: set url in [source] or $ETLRE_SOURCE_URL", path);
		return false;
	}
	if (!cfg->target_url) {
		log_error("%s: no target url: set url in [target] or $ETLRE_TARGET_URL", path);
		return false;
	}
	if (!cfg->schema)
		cfg->schema = xstrdup("etlre");
	if (!ident_valid(cfg->schema)) {
		log_error("%s: [etlre] schema '%s' is not a plain schema name", path, cfg->schema);
		return false;
	}
	if (!cfg->timezone)
		cfg->timezone = xstrdup("UTC");
	for (const char *p = cfg->timezone; *p; p++) {
		if (!(isalnum((unsigned char)*p) || strchr("/_+-:", *p))) {
			log_error("%s: [etlre] timezone '%s' is not a time zone name", path, cfg->timezone);
			return false;
		}
	}
	if (cfg->ntables == 0) {
		log_error("%s: no [table NAME] section: nothing to load", path);
		return false;
	}
	for (int i = 0; i < cfg->ntables; i++) {
		if (!check_table(cfg, &cfg->tables[i], err, sizeof(err))) {
			log_error("%s: %s", path, err);
			return false;
		}
	}
	return true;
}

static void named_list_free(named_expr *list, int n)
{
	for (int i = 0; i < n; i++) {
		free(list[i].name);
		free(list[i].expr);
	}
	free(list);
}

void config_release(config *cfg)
{
	for (int i = 0; i < cfg->ntables; i++) {
		table_config *t = &cfg->tables[i];
		free(t->name);
		free(t->source);
		free(t->target);
		free(t->time_column);
		str_list_free(t->key, t->nkey);
		str_list_free(t->columns, t->ncolumns);
		named_list_free(t->exprs, t->nexprs);
		named_list_free(t->checks, t->nchecks);
		free(t->after_day);
	}
	free(cfg->tables);
	free(cfg->path);
	free(cfg->source_url);
	free(cfg->target_url);
	free(cfg->file_source_url);
	free(cfg->file_target_url);
	free(cfg->source_password_file);
	free(cfg->schema);
	free(cfg->rejects_dir);
	free(cfg->timezone);
	memset(cfg, 0, sizeof(*cfg));
}

int config_find_expr(const table_config *t, const char *col)
{
	for (int i = 0; i < t->nexprs; i++)
		if (strcasecmp(t->exprs[i].name, col) == 0)
			return i;
	return -1;
}

table_config *config_find_table(config *cfg, const char *name)
{
	for (int i = 0; i < cfg->ntables; i++)
		if (strcmp(cfg->tables[i].name, name) == 0)
			return &cfg->tables[i];
	return NULL;
}
