/*
 * signals.c: interruption flag (see signals.h).
 */
#include "signals.h"

#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "exitcode.h"

static volatile sig_atomic_t caught;
/* when it came, CLOCK_MONOTONIC seconds (clock_gettime is async-signal-safe) */
static volatile time_t caught_sec;
static volatile long caught_nsec;
static void (*wake_hook)(void);

/* on_signal: SIGINT, SIGTERM and --max-runtime's SIGALRM. Only the flag,
 * its time and the wake hook: a statement in progress is cancelled by the
 * thread waiting on it (target_pg.c) or the thread the hook wakes
 * (source_cancel.h), never here, as a cancel waits for its server and a
 * server that does not answer must not hold etlre (README "Timeouts") */
static void on_signal(int sig)
{
	struct timespec ts;

	if (caught)
		return;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	caught_sec = ts.tv_sec;
	caught_nsec = ts.tv_nsec;
	caught = sig;
	if (wake_hook)
		wake_hook();
}

void signals_max_runtime(int seconds)
{
	struct sigaction sa;

	static bool armed;

	if (seconds <= 0 || armed)
		return;
	armed = true;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
	alarm((unsigned)seconds);
}

void signals_install(void (*wake)(void))
{
	struct sigaction sa;

	wake_hook = wake;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

static void (*hup_fn)(void);

static void on_hup(int sig)
{
	(void)sig;
	if (hup_fn)
		hup_fn();
}

void signals_on_hup(void (*fn)(void))
{
	struct sigaction sa;

	hup_fn = fn;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_hup;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGHUP, &sa, NULL);
}

int signals_caught(void)
{
	return caught;
}

double signals_caught_at(void)
{
	return caught ? (double)caught_sec + (double)caught_nsec / 1e9 : 0;
}

int signals_exit_status(void)
{
	if (!caught)
		return 0;
	return caught == SIGINT ? EXIT_CODE_SIGINT : EXIT_CODE_SIGTERM;
}

bool signals_max_runtime_reached(void)
{
	return caught == SIGALRM;
}
