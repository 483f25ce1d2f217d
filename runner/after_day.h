/*
 * after_day.h: a table's after_day SQL file, run for a day once all of the
 * day's hours of the table are loaded (README "Configuration": after_day).
 * Every ":day" token in the file becomes DATE 'YYYY-MM-DD'.
 */
#ifndef ETLRE_AFTER_DAY_H
#define ETLRE_AFTER_DAY_H

#include <stdbool.h>

#include "config.h"
#include "target_pg.h"

/* after_day_run: t's after_day SQL for day (YYYY-MM-DD), in one transaction
 * on tgt; false (logged, rolled back) when the file cannot be read or the
 * SQL fails */
bool after_day_run(tgt_conn *tgt, const table_config *t, const char *day);

#endif
