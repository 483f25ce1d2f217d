/*
 * cli.h: the command line: global options, the command table, and the
 * helpers commands share to parse their own options with argp. Commands
 * return an exit status (exitcode.h); only main() exits.
 */
#ifndef ETLRE_CLI_H
#define ETLRE_CLI_H

#include <argp.h>
#include <stdbool.h>
#include <stdint.h>

#include "log.h"

typedef struct global_opts {
	const char *config;
	log_level level;
	log_format format;
	bool quiet;
	double progress_interval; /* seconds between plain progress lines; 0 none */
} global_opts;

/* global_argp_child: the global options, to include in a command's argp */
extern const struct argp_child global_argp_children[];

/* cli_parse_command: parses a command's options with argp (argv[0] is the
 * command name); usage errors exit 2 from inside argp. */
void cli_parse_command(const struct argp *argp, int argc, char **argv, const char *command,
		       void *input);
/* cli_parse_count: arg as a whole number in [min, max], or a usage error
 * naming flag (exits 2 from inside argp) */
int64_t cli_parse_count(struct argp_state *state, const char *flag, const char *arg, int64_t min,
			int64_t max);
/* cli_parse_duration: arg as a duration (duration_parse: 90m, 36h, 2d) in
 * seconds, or a usage error naming flag (exits 2 from inside argp) */
int64_t cli_parse_duration(struct argp_state *state, const char *flag, const char *arg);
/* cli_apply_globals: sets up logging from the global options */
void cli_apply_globals(global_opts *g);
/* cli_global: the global options being filled (for command parsers' children) */
global_opts *cli_global(void);

int cli_main(int argc, char **argv);

int cmd_init(int argc, char **argv);
int cmd_process(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_retry(int argc, char **argv);
int cmd_work(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_ddl(int argc, char **argv);

#endif
