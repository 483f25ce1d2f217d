/*
 * partition.h: targets partitioned by range on the time column (README,
 * "Partitioned targets"). A row whose partition is missing would be refused
 * by COPY like a bad row; instead, before an hour is loaded etlre checks that
 * partitions hold the whole window: with `partitions = daily|monthly` it
 * creates the missing ones, otherwise the hour fails as a configuration
 * problem naming the partition to create. Nothing here touches rows.
 */
#ifndef ETLRE_PARTITION_H
#define ETLRE_PARTITION_H

#include <stdbool.h>

#include "chunk.h"
#include "plan.h"
#include "target_pg.h"

/* partition_plan: sets p->partitioned when the target is a partitioned table,
 * and p->range_partitioned when by range on exactly the time column. Returns false after logging a
 * configuration error: `partitions` set on a target that is not so. */
bool partition_plan(tgt_conn *tgt, table_plan *p) MUSTCHECK;

/*
 * partition_ready: for a range-partitioned target, makes sure partitions
 * hold window w (its hours, by the time column), in the caller's
 * transaction: creates the missing daily or monthly partitions when the
 * table asks for it. Returns false when they do not: *why is then a new
 * message naming the range to create (a configuration problem), or NULL when
 * a statement failed (logged, its error on tgt).
 */
bool partition_ready(tgt_conn *tgt, const table_plan *p, window w, char **why) MUSTCHECK;

#endif
