/*
 * exitcode.h: the process exit statuses of README "Exit status", in one place.
 * Only the command layer (cli.c and the cmd_* functions) turns a result into
 * one of these; everything below returns bool.
 */
#ifndef ETLRE_EXITCODE_H
#define ETLRE_EXITCODE_H

enum {
	EXIT_CODE_OK = 0,          /* everything asked was done */
	EXIT_CODE_FAILED = 1,      /* some hours failed, or too many rejects */
	EXIT_CODE_USAGE = 2,       /* usage or configuration error; nothing written */
	EXIT_CODE_DIFFERS = 3,     /* verify found hours that differ */
	EXIT_CODE_UNREACHABLE = 4, /* source or target could not be reached */
	EXIT_CODE_SIGINT = 130,
	EXIT_CODE_SIGTERM = 143,
};

#endif
