/*
 * errclass.h: the error classes of README "Operations: when a night failed",
 * decided from MariaDB error numbers and PostgreSQL SQLSTATEs (never from
 * message text). Pure; unit-tested.
 */
#ifndef ETLRE_ERRCLASS_H
#define ETLRE_ERRCLASS_H

#include <stdbool.h>

typedef enum err_class {
	ERRCLASS_NONE = 0,
	ERRCLASS_CONNECTION,
	ERRCLASS_TIMEOUT,
	ERRCLASS_INVALID_DATA,
	ERRCLASS_CONSTRAINT,
	ERRCLASS_DEADLOCK,
	ERRCLASS_DISK_FULL,
	ERRCLASS_OUT_OF_MEMORY,
	ERRCLASS_TOO_MANY_CONNECTIONS,
	ERRCLASS_INTERNAL,
} err_class;

/* err_class_name: "connection", "timeout", "invalid_data", "constraint",
 * "deadlock", "disk_full", "out_of_memory", "too_many_connections",
 * "internal"; NULL for ERRCLASS_NONE */
const char *err_class_name(err_class c);
/* err_class_from_name: the class named name (as err_class_name gives it) */
err_class err_class_from_name(const char *name);
/* err_class_from_sqlstate: class of a PostgreSQL SQLSTATE (5 characters) */
err_class err_class_from_sqlstate(const char *sqlstate);
/* err_class_from_mariadb: class of a MariaDB client or server error number */
err_class err_class_from_mariadb(unsigned int errnum);
/* err_class_is_row_level: a COPY failure of this class is caused by a row */
bool err_class_is_row_level(err_class c);
/* err_class_is_transient: worth retrying (connection, timeout, deadlock,
 * too_many_connections) */
bool err_class_is_transient(err_class c);
/* err_class_is_unanswered: the server was lost or did not answer within its
 * limit (it stayed silent, or a lock held elsewhere outlasted the wait):
 * before a job starts, such a failure exits 4 (README "Exit status") */
bool err_class_is_unanswered(err_class c);

#endif
