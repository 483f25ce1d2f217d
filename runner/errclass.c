/*
 * errclass.c: mapping server error codes to etlre's error classes.
 */
#include "errclass.h"

#include <string.h>

const char *err_class_name(err_class c)
{
	switch (c) {
	case ERRCLASS_CONNECTION: return "connection";
	case ERRCLASS_TIMEOUT: return "timeout";
	case ERRCLASS_INVALID_DATA: return "invalid_data";
	case ERRCLASS_CONSTRAINT: return "constraint";
	case ERRCLASS_DEADLOCK: return "deadlock";
	case ERRCLASS_DISK_FULL: return "disk_full";
	case ERRCLASS_OUT_OF_MEMORY: return "out_of_memory";
	case ERRCLASS_TOO_MANY_CONNECTIONS: return "too_many_connections";
	case ERRCLASS_INTERNAL: return "internal";
	default: return NULL;
	}
}

err_class err_class_from_name(const char *name)
{
	for (err_class c = ERRCLASS_CONNECTION; c <= ERRCLASS_INTERNAL; c++)
		if (name && strcmp(name, err_class_name(c)) == 0)
			return c;
	return ERRCLASS_NONE;
}

err_class err_class_from_sqlstate(const char *s)
{
	if (!s || strlen(s) != 5)
		return ERRCLASS_INTERNAL;
	if (strncmp(s, "08", 2) == 0)
		return ERRCLASS_CONNECTION;
	/* admin_shutdown, crash_shutdown, cannot_connect_now */
	if (strcmp(s, "57P01") == 0 || strcmp(s, "57P02") == 0 || strcmp(s, "57P03") == 0)
		return ERRCLASS_CONNECTION;
	/* query_canceled (statement_timeout), lock_not_available (lock_timeout),
	 * idle_in_transaction_session_timeout */
	if (strcmp(s, "57014") == 0 || strcmp(s, "55P03") == 0 || strcmp(s, "25P03") == 0)
		return ERRCLASS_TIMEOUT;
	if (strcmp(s, "40P01") == 0 || strcmp(s, "40001") == 0)
		return ERRCLASS_DEADLOCK;
	/* class 53, insufficient resources (README "Error classes") */
	if (strcmp(s, "53100") == 0)
		return ERRCLASS_DISK_FULL;
	if (strcmp(s, "53200") == 0)
		return ERRCLASS_OUT_OF_MEMORY;
	if (strcmp(s, "53300") == 0)
		return ERRCLASS_TOO_MANY_CONNECTIONS;
	if (strncmp(s, "23", 2) == 0)
		return ERRCLASS_CONSTRAINT;
	if (strncmp(s, "22", 2) == 0)
		return ERRCLASS_INVALID_DATA;
	return ERRCLASS_INTERNAL;
}

err_class err_class_from_mariadb(unsigned int e)
{
	switch (e) {
	case 2002: /* CR_CONNECTION_ERROR */
	case 2003: /* CR_CONN_HOST_ERROR */
	case 2005: /* CR_UNKNOWN_HOST */
	case 2006: /* CR_SERVER_GONE_ERROR */
	case 2013: /* CR_SERVER_LOST */
	case 2026: /* CR_SSL_CONNECTION_ERROR */
	case 2055: /* CR_SERVER_LOST_EXTENDED */
	case 1053: /* ER_SERVER_SHUTDOWN */
	case 1927: /* ER_CONNECTION_KILLED */
		return ERRCLASS_CONNECTION;
	case 1205: /* ER_LOCK_WAIT_TIMEOUT */
	case 1969: /* ER_STATEMENT_TIMEOUT (max_statement_time) */
	case 3024: /* ER_QUERY_TIMEOUT */
		return ERRCLASS_TIMEOUT;
	case 1213: /* ER_LOCK_DEADLOCK */
		return ERRCLASS_DEADLOCK;
	case 1021: /* ER_DISK_FULL */
	case 1114: /* ER_RECORD_FILE_FULL: "The table is full" */
		return ERRCLASS_DISK_FULL;
	case 1037: /* ER_OUTOFMEMORY */
	case 1038: /* ER_OUT_OF_SORTMEMORY */
	case 1041: /* ER_OUT_OF_RESOURCES */
	case 2008: /* CR_OUT_OF_MEMORY */
		return ERRCLASS_OUT_OF_MEMORY;
	case 1040: /* ER_CON_COUNT_ERROR: max_connections */
	case 1203: /* ER_TOO_MANY_USER_CONNECTIONS: max_user_connections */
		return ERRCLASS_TOO_MANY_CONNECTIONS;
	default:
		return ERRCLASS_INTERNAL;
	}
}

bool err_class_is_row_level(err_class c)
{
	return c == ERRCLASS_CONSTRAINT || c == ERRCLASS_INVALID_DATA;
}

bool err_class_is_transient(err_class c)
{
	return c == ERRCLASS_CONNECTION || c == ERRCLASS_TIMEOUT || c == ERRCLASS_DEADLOCK ||
	       c == ERRCLASS_TOO_MANY_CONNECTIONS;
}

bool err_class_is_unanswered(err_class c)
{
	return c == ERRCLASS_CONNECTION || c == ERRCLASS_TIMEOUT;
}
