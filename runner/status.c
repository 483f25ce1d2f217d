/*
 * status.c: the names of job and hour statuses (see status.h), one table
 * each, indexed by the enum.
 */
#include "status.h"

#include <stddef.h>
#include <string.h>

#include "util.h"

static const char *const job_names[] = {
	[JOB_NONE] = NULL,
	[JOB_RUNNING] = "running",
	[JOB_SUCCEEDED] = "succeeded",
	[JOB_FAILED] = "failed",
	[JOB_PARTIAL] = "partial",
	[JOB_INTERRUPTED] = "interrupted",
	[JOB_DRY_RUN] = "dry_run",
	[JOB_STALE] = "stale",
	[JOB_STUCK] = "stuck",
	[JOB_UNKNOWN] = "unknown",
};

static const char *const hour_names[] = {
	[HOUR_PENDING] = "pending",
	[HOUR_RUNNING] = "running",
	[HOUR_SUCCEEDED] = "succeeded",
	[HOUR_FAILED] = "failed",
	[HOUR_INTERRUPTED] = "interrupted",
	[HOUR_UNKNOWN] = "unknown",
};

/* name_of: names[i], or names[unknown] when i is past the table */
static const char *name_of(const char *const *names, size_t n, int i, int unknown)
{
	return i >= 0 && (size_t)i < n ? names[i] : names[unknown];
}

/* find: the index of name in names (n of them, NULL entries skipped), or
 * fallback */
static int find(const char *const *names, size_t n, const char *name, int fallback)
{
	if (!name)
		return fallback;
	for (size_t i = 0; i < n; i++)
		if (names[i] && strcmp(names[i], name) == 0)
			return (int)i;
	return fallback;
}

const char *job_status_name(job_status s)
{
	return name_of(job_names, ARRAY_SIZE(job_names), (int)s, JOB_UNKNOWN);
}

job_status job_status_parse(const char *name)
{
	return (job_status)find(job_names, ARRAY_SIZE(job_names), name, JOB_UNKNOWN);
}

const char *hour_status_name(hour_status s)
{
	return name_of(hour_names, ARRAY_SIZE(hour_names), (int)s, HOUR_UNKNOWN);
}

hour_status hour_status_parse(const char *name)
{
	return (hour_status)find(hour_names, ARRAY_SIZE(hour_names), name, HOUR_UNKNOWN);
}
