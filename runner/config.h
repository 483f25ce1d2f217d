/*
 * config.h: etlre's configuration: the INI file of README "Configuration" (read with the
 * inih library), the environment overrides, and the checks that can be done
 * without a database (required keys, identifier syntax, modes).
 *
 * Ownership: config_load fills a config that owns all its strings;
 * config_release frees them.
 */
#ifndef ETLRE_CONFIG_H
#define ETLRE_CONFIG_H

#include <stdbool.h>

#include "util.h"

#define DEFAULT_MAX_RANGE_DAYS 3660
/* network_timeout: a few minutes by default, at most a day */
#define DEFAULT_NETWORK_TIMEOUT 300
#define MAX_NETWORK_TIMEOUT 86400
/* stuck_after: a live job idle this long (no heartbeat, no chunk finished) is
 * stuck, for status and the default of check --stuck-after (a week at most) */
#define DEFAULT_STUCK_AFTER 900
#define MAX_STUCK_AFTER 604800
/* with --timeout S, the client waits S plus this for an answer; the target
 * connection's TCP user timeout is its limit plus this too */
#define TIMEOUT_GRACE_SECONDS 5
/* after a stop (SIGINT, SIGTERM, --max-runtime) a server has this long to
 * end the statement in progress, which etlre cancels, or to answer one that
 * etlre sends to clean up; then etlre closes the connection (README
 * "Timeouts"). A wait checks for a stop every STOP_CHECK_MS. */
#define STOP_GRACE_SECONDS 5
#define STOP_CHECK_MS 250
/* a wait for a lock ends this long before the client's own limit: the server
 * cancels it (PostgreSQL's lock_timeout, MariaDB's lock_wait_timeout), so it
 * is reported as a lock wait, on a connection still usable, and not as a
 * silent server (README "Timeouts") */
#define LOCK_WAIT_MARGIN_SECONDS 1
static inline int lock_wait_limit(int io_timeout)
{
	return io_timeout > LOCK_WAIT_MARGIN_SECONDS ? io_timeout - LOCK_WAIT_MARGIN_SECONDS : io_timeout;
}
#define MAX_MAX_RANGE_DAYS 36600
/* [etlre] jobs and --jobs: worker processes of one job on one host */
#define MAX_JOBS 64

typedef enum { MODE_REPLACE = 0, MODE_MERGE } load_mode;

/* partitions = daily | monthly: the range partitions etlre creates itself */
typedef enum { PARTITIONS_NONE = 0, PARTITIONS_DAILY, PARTITIONS_MONTHLY } partition_step;

typedef struct named_expr {
	char *name; /* target column (expr.*) or rule name (check.*) */
	char *expr; /* MariaDB expression, used as written */
} named_expr;

typedef struct table_config {
	char *name;        /* the section name, what --table takes */
	char *source;      /* table or db.table */
	char *target;      /* table or schema.table */
	char *time_column;
	char **key;
	int nkey;
	char **columns;    /* NULL: every target column the source also has */
	int ncolumns;
	named_expr *exprs;
	int nexprs;
	named_expr *checks;
	int nchecks;
	load_mode mode;
	bool zero_dates_reject; /* zero_dates = reject: zero dates are invalid, not NULL */
	partition_step partitions; /* create missing partitions of a partitioned target */
	char *after_day;   /* path, resolved against the config file's folder */
} table_config;

typedef struct config {
	char *path;         /* the file that was read */
	char *source_url;   /* may hold a password: never log it */
	char *target_url;   /* libpq URI or conninfo: never log it */
	char *file_source_url; /* the file's own urls, also when the environment */
	char *file_target_url; /* overrides them (the permission check); NULL: none */
	char *source_password_file; /* [source] password_file, NULL: none */
	char *schema;       /* etlre's own schema in the target */
	char *timezone;
	int connect_timeout;
	int network_timeout; /* seconds a server may stay silent when no --timeout
			      * is given (README "Timeouts") */
	int stuck_after;     /* seconds idle (JOBS_REPORT_IDLE): a live job is stuck */
	char *rejects_dir;  /* where a relative --rejects-file goes; NULL: the
			     * current directory */
	int max_range_days; /* longest range of days process and verify accept */
	int jobs;           /* [etlre] jobs: workers of a job without --jobs; 0 unset
			     * (the machine's default, README "Scaling out") */
	table_config *tables;
	int ntables;
} config;

/*
 * config_find_path: the file to read: explicit (from --config), else
 * $ETLRE_CONFIG, else ./etlre.conf, else /etc/etlre/etlre.conf. Returns a new
 * string, or NULL (after logging what was tried) when none exists.
 */
char *config_find_path(const char *explicit_path);
/* config_load: parses and checks path; logs the first error with file and
 * line and returns false. Applies ETLRE_SOURCE_URL / ETLRE_TARGET_URL. */
bool config_load(const char *path, config *cfg) MUSTCHECK;
void config_release(config *cfg);
table_config *config_find_table(config *cfg, const char *name);
/* config_find_expr: index in t->exprs of the expr.COLUMN for col
 * (case-insensitive), or -1 */
int config_find_expr(const table_config *t, const char *col);

/* ident_valid: a plain SQL identifier: [A-Za-z_][A-Za-z0-9_$]*, at most 63 bytes */
bool ident_valid(const char *s);
/* qualified_ident_valid: ident or ident.ident */
bool qualified_ident_valid(const char *s);

/* sslmode= of a source url, libpq's words (README "Security") */
typedef enum {
	SRC_SSL_DISABLE = 0,
	SRC_SSL_PREFER,      /* the default */
	SRC_SSL_REQUIRE,
	SRC_SSL_VERIFY_CA,
	SRC_SSL_VERIFY_FULL,
} src_sslmode;

/* src_sslmode_name: the url word of m (static storage) */
const char *src_sslmode_name(src_sslmode m);

/* A parsed mariadb://user:password@host:port/database URL. */
typedef struct mariadb_url {
	char *user;
	char *password; /* NULL when none */
	bool password_in_url; /* the password came from the url itself */
	char *host;
	int port;
	char *database;
	char *socket;   /* ?socket=/path, optional */
	src_sslmode sslmode;
	char *sslrootcert; /* ?sslrootcert=PATH: CA certificates; NULL: none */
	char *sslcert;     /* ?sslcert=PATH and ?sslkey=PATH: a client certificate */
	char *sslkey;
} mariadb_url;

/* mariadb_url_parse: parses url (mariadb:// or mysql://) with percent-decoding;
 * on error writes a message (never containing the password) into err. */
bool mariadb_url_parse(const char *url, mariadb_url *out, char *err, size_t err_size);
/* mariadb_url_copy: dst becomes a copy of src that owns its own strings
 * (released with mariadb_url_release) */
void mariadb_url_copy(mariadb_url *dst, const mariadb_url *src);
void mariadb_url_release(mariadb_url *u);

#endif
