/*
 * signals.c: interruption flag (see signals.h).
 */
#include "signals.h"

#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "exitcode.h"

static volatile sig_atomic_t caught;
static void (*signal_hook)(void);
static void (*wake_hook)(void);

static void on_signal(int sig)
{
	if (!caught) {
		caught = sig;
		if (wake_hook)
			wake_hook();
		if (signal_hook)
			signal_hook();
	}
}

/* on_alarm: --max-runtime reached. Only the wake hook: cancelling the
 * target's statement would wait for its server inside the handler, and a
 * server that does not answer must not hold etlre; the thread the wake hook
 * wakes cancels it (source_cancel.h; README "Timeouts") */
static void on_alarm(int sig)
{
	if (!caught) {
		caught = sig;
		if (wake_hook)
			wake_hook();
	}
}

void signals_max_runtime(int seconds)
{
	struct sigaction sa;

	static bool armed;

	if (seconds <= 0 || armed)
		return;
	armed = true;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
	alarm((unsigned)seconds);
}

void signals_install(void (*hook)(void), void (*wake)(void))
{
	signal_hook = hook;
	wake_hook = wake;
	struct sigaction sa;

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
