/*
 * load_group.h: the keys a group of small hours deleted, to tell which of
 * its rows moved between two of its hours (load.h load_group).
 *
 * A group deletes all its hours' target rows before it copies any row, so a
 * row whose time moved from one of its hours to another meets no old copy.
 * Loaded one by one, the hours would meet it when the row moved to an
 * earlier hour (its old hour is reloaded later): that row is counted as
 * moved in its new hour and is not counted as deleted in its old one. The
 * group keeps that accounting: its DELETE returns each hour's keys, encoded
 * as group_delete_sql shows, and every row read is looked up by its key.
 */
#ifndef ETLRE_LOAD_GROUP_H
#define ETLRE_LOAD_GROUP_H

#include <search.h>
#include <stdbool.h>

#include "plan.h"
#include "util.h"

/* group_keys: keys deleted per hour; group_keys_init fills it from the
 * DELETEs' results, group_keys_release frees what it holds */
typedef struct group_keys {
	struct hsearch_data tab;
	char **keys; /* owned; each ENTRY's key */
	int *hours;  /* the hour index each key was deleted from */
	int n;
	bool ready;  /* tab was created */
} group_keys;

/*
 * group_delete_sql: the DELETE of plan p's target rows of a group ($1, $2
 * its bounds, $3 group_bounds' array), answering a row per hour that had
 * rows: the hour's 0-based index, how many, and their keys, one text of each
 * key column as OCTETS:TEXT in a row, all rows in one value; new string.
 */
char *group_delete_sql(const table_plan *p);
/* group_count_sql: the target's count per hour of a group (same
 * parameters; rows of the hour index and its count); new string */
char *group_count_sql(const table_plan *p);
/* group_bounds: the n bounds as an array literal for $3; new string */
char *group_bounds(char (*bounds)[20], int n);

/*
 * group_keys_init: the map from the texts the DELETEs of hours 0..n-1
 * returned (text[i] may be NULL: no row). Keys the text cannot be split
 * into are left out (their moves are then not counted: reporting only).
 */
void group_keys_init(group_keys *k, const table_plan *p, char *const *text, int n);
/*
 * group_keys_hour: the hour index the key of source row vals was deleted
 * from, or -1. scratch is the caller's buffer for the encoded key.
 */
int group_keys_hour(group_keys *k, const table_plan *p, char **vals, unsigned long *lens,
		    strbuf *scratch);
void group_keys_release(group_keys *k);

#endif
