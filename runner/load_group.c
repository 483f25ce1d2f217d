/*
 * load_group.c: the keys a group of small hours deleted (see load_group.h).
 * The map is glibc's hash table (hsearch_r), sized once from the keys.
 */
#include "load_group.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sqlquote.h"

/* add_bucket: the 0-based hour of the time value expr among the group's
 * bounds ($3, an array of the time column's type) */
static void add_bucket(strbuf *sb, const table_plan *p, const char *expr)
{
	sb_addf(sb, "width_bucket(%s, $3::%s[]) - 1", expr, p->cols[p->time_idx].type_name);
}

char *group_delete_sql(const table_plan *p)
{
	strbuf sb;

	sb_init(&sb, 512);
	sb_adds(&sb, "WITH d AS (");
	sb_adds(&sb, p->delete_sql);
	sb_adds(&sb, " RETURNING ");
	quote_pg_ident(&sb, p->cols[p->time_idx].name);
	sb_adds(&sb, " AS t_");
	for (int i = 0; i < p->nkey; i++) {
		sb_adds(&sb, ", ");
		quote_pg_ident(&sb, p->cols[p->key_idx[i]].name);
		sb_addf(&sb, "::text AS k%d", i);
	}
	sb_adds(&sb, ") SELECT ");
	add_bucket(&sb, p, "d.t_");
	sb_adds(&sb, ", count(*), string_agg(");
	for (int i = 0; i < p->nkey; i++)
		sb_addf(&sb, "%soctet_length(k%d) || ':' || k%d", i ? " || " : "", i, i);
	sb_adds(&sb, ", '') FROM d GROUP BY 1");
	return sb_detach(&sb);
}

char *group_count_sql(const table_plan *p)
{
	strbuf sb;

	sb_init(&sb, 256);
	sb_adds(&sb, "SELECT ");
	add_bucket(&sb, p, p->cols[p->time_idx].name);
	sb_adds(&sb, ", count(*) FROM ");
	quote_pg_ident(&sb, p->cfg->target);
	sb_adds(&sb, " WHERE ");
	quote_pg_ident(&sb, p->cols[p->time_idx].name);
	sb_adds(&sb, " >= $1 AND ");
	quote_pg_ident(&sb, p->cols[p->time_idx].name);
	sb_adds(&sb, " < $2 GROUP BY 1");
	return sb_detach(&sb);
}

char *group_bounds(char (*bounds)[20], int n)
{
	strbuf sb;

	sb_init(&sb, (size_t)n * 24 + 4);
	sb_addc(&sb, '{');
	for (int i = 0; i < n; i++)
		sb_addf(&sb, "%s\"%s\"", i ? "," : "", bounds[i]);
	sb_addc(&sb, '}');
	return sb_detach(&sb);
}

/* key_end: the end of the encoded key starting at s (nkey fields of
 * OCTETS:TEXT), or NULL when s does not hold one */
static const char *key_end(const char *s, int nkey)
{
	for (int f = 0; f < nkey; f++) {
		char *colon;
		unsigned long len;

		errno = 0;
		len = strtoul(s, &colon, 10);
		if (errno || colon == s || *colon != ':' || strnlen(colon + 1, len) < len)
			return NULL;
		s = colon + 1 + len;
	}
	return s;
}

void group_keys_init(group_keys *k, const table_plan *p, char *const *text, int n)
{
	int cap = 0;

	memset(k, 0, sizeof(*k));
	for (int h = 0; h < n; h++)
		for (const char *s = text[h], *e; s && *s && (e = key_end(s, p->nkey)); s = e)
			cap++;
	if (cap == 0 || !hcreate_r((size_t)cap * 2, &k->tab))
		return;
	k->ready = true;
	k->keys = xcalloc((size_t)cap, sizeof(char *));
	k->hours = xcalloc((size_t)cap, sizeof(int));
	for (int h = 0; h < n; h++) {
		for (const char *s = text[h], *e; s && *s && (e = key_end(s, p->nkey)); s = e) {
			ENTRY item, *found;

			k->keys[k->n] = xstrndup(s, (size_t)(e - s));
			k->hours[k->n] = h;
			item.key = k->keys[k->n];
			item.data = &k->hours[k->n];
			k->n++;
			hsearch_r(item, ENTER, &found, &k->tab);
		}
	}
}

int group_keys_hour(group_keys *k, const table_plan *p, char **vals, unsigned long *lens,
		    strbuf *scratch)
{
	ENTRY item, *found = NULL;

	if (!k->ready)
		return -1;
	sb_reset(scratch);
	for (int i = 0; i < p->nkey; i++) {
		int c = p->key_idx[i];
		if (!vals[c] || memchr(vals[c], '\0', lens[c]))
			return -1;
		sb_addf(scratch, "%lu:", lens[c]);
		sb_add(scratch, vals[c], lens[c]);
	}
	item.key = scratch->buf;
	item.data = NULL;
	if (!hsearch_r(item, FIND, &found, &k->tab) || !found)
		return -1;
	return *(int *)found->data;
}

void group_keys_release(group_keys *k)
{
	if (k->ready)
		hdestroy_r(&k->tab);
	for (int i = 0; i < k->n; i++)
		free(k->keys[i]);
	free(k->keys);
	free(k->hours);
	memset(k, 0, sizeof(*k));
}
