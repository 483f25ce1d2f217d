/*
 * signals.h: SIGINT and SIGTERM set a flag that the load loop polls; the hour
 * in progress is then rolled back and the job is marked interrupted. So does
 * the end of --max-runtime (SIGALRM), which counts as a SIGTERM.
 * SIGHUP, with --log-file, asks the logger to reopen its file.
 */
#ifndef ETLRE_SIGNALS_H
#define ETLRE_SIGNALS_H

#include <stdbool.h>

/* signals_install: wake (may be NULL) runs inside the handler on the first
 * SIGINT, SIGTERM or --max-runtime's SIGALRM; it must be async-signal-safe
 * and never wait. */
void signals_install(void (*wake)(void));
/* signals_on_hup: SIGHUP calls fn (async-signal-safe) instead of ending the
 * process; system calls it interrupts are restarted (--log-file) */
void signals_on_hup(void (*fn)(void));
/* signals_max_runtime: after seconds (none when 0), the process is
 * interrupted as by SIGTERM (README "Commands", --max-runtime); only the
 * first call arms the timer. Call it before forking workers: they inherit
 * the handler, the parent forwards the signal. */
void signals_max_runtime(int seconds);
/* signals_max_runtime_reached: the interruption came from --max-runtime */
bool signals_max_runtime_reached(void);
/* signals_caught: 0 if none, else the signal number (first one wins) */
int signals_caught(void);
/* signals_caught_at: when it came, in now_monotonic()'s seconds; 0 if none */
double signals_caught_at(void);
/* signals_exit_status: 0 if none came, else the exit status of an
 * interruption by it (130 SIGINT, 143 SIGTERM or --max-runtime; README "Exit
 * status") */
int signals_exit_status(void);

#endif
