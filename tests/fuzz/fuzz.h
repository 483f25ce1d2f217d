/*
 * fuzz.h: what etlre's libFuzzer targets share (built by `make fuzz`, see
 * README.md, Hardening): the entry points libFuzzer calls, and fuzz_check,
 * an assertion that stays on in every build and aborts, so that libFuzzer
 * saves the input that broke a property.
 */
#ifndef ETLRE_FUZZ_H
#define ETLRE_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define fuzz_check(cond)                                                                   \
	do {                                                                               \
		if (!(cond)) {                                                             \
			fprintf(stderr, "%s:%d: property broken: %s\n", __FILE__, __LINE__, #cond); \
			abort();                                                           \
		}                                                                          \
	} while (0)

#endif
