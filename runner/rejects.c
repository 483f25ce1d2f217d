/*
 * rejects.c: gzip CSV writer for rejected rows (see rejects.h).
 */
#include "rejects.h"

#include <csv.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "log.h"

struct rejects_file {
	gzFile gz;
	char *path;
	char *partial;
	strbuf line;
	bool failed;
};

/* the header line, one name per REJECT_* field */
static const char *const header[REJECT_NFIELDS] = {
	[REJECT_JOB_ID] = "job_id", [REJECT_TABLE] = "table",   [REJECT_HOUR] = "hour",
	[REJECT_KEY] = "key",       [REJECT_COLUMN] = "column", [REJECT_VALUE] = "value",
	[REJECT_RULE] = "rule",     [REJECT_REASON] = "reason", [REJECT_RAW] = "raw",
};

rejects_file *rejects_file_open(const char *path)
{
	rejects_file *f;
	size_t lens[REJECT_NFIELDS];
	struct stat st;

	/* what the final rename would refuse (a directory), or do harm to (a
	 * device, a fifo), is refused now, before any row is loaded */
	if (!*path) {
		log_error("--rejects-file: the path is empty");
		return NULL;
	}
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
		log_error("cannot write rejects file '%s': %s", path,
			  S_ISDIR(st.st_mode) ? "it is a directory" : "it is not a regular file");
		return NULL;
	}
	f = xcalloc(1, sizeof(*f));
	f->path = xstrdup(path);
	f->partial = xasprintf("%s.partial", path);
	f->gz = gzopen(f->partial, "wb6");
	if (!f->gz) {
		log_error("cannot write rejects file '%s' (as '%s' first): %s", path, f->partial,
			  errno ? strerror(errno) : "gzopen failed");
		free(f->path);
		free(f->partial);
		free(f);
		return NULL;
	}
	sb_init(&f->line, 1024);
	for (int i = 0; i < REJECT_NFIELDS; i++)
		lens[i] = strlen(header[i]);
	rejects_file_add(f, header, lens);
	return f;
}

void rejects_file_add(rejects_file *f, const char *const fields[REJECT_NFIELDS],
		      const size_t lens[REJECT_NFIELDS])
{
	if (f->failed)
		return;
	sb_reset(&f->line);
	for (int i = 0; i < REJECT_NFIELDS; i++) {
		size_t need = csv_write(NULL, 0, fields[i], lens[i]);
		if (i)
			sb_addc(&f->line, ',');
		sb_grow(&f->line, need);
		csv_write(f->line.buf + f->line.len, need, fields[i], lens[i]);
		f->line.len += need;
	}
	sb_add(&f->line, "\r\n", 2);
	if (gzwrite(f->gz, f->line.buf, (unsigned)f->line.len) != (int)f->line.len) {
		int zerr;
		log_error("cannot write rejects file '%s': %s", f->partial, gzerror(f->gz, &zerr));
		f->failed = true;
	}
}

bool rejects_file_close(rejects_file *f, bool keep)
{
	bool ok = !f->failed;

	if (gzclose(f->gz) != Z_OK && ok) {
		log_error("cannot write rejects file '%s'", f->partial);
		ok = false;
	}
	if (ok && keep) {
		if (rename(f->partial, f->path) != 0) {
			log_error("cannot rename '%s' to '%s': %s", f->partial, f->path, strerror(errno));
			ok = false;
		}
	} else {
		unlink(f->partial);
	}
	sb_release(&f->line);
	free(f->path);
	free(f->partial);
	free(f);
	return ok;
}

void rejects_file_discard(rejects_file *f)
{
	if (!rejects_file_close(f, false))
		log_debug("the partial rejects file could not be closed cleanly");
}
