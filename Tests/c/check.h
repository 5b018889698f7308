/* check.h - the counting CHECK of the C test programs (test_abi.c, the soak):
 * a failed condition prints FAIL with its place and message and is counted;
 * main prints "N passed, M failed" from `passed` and `failed`. */
#ifndef STYLIZE_TEST_CHECK_H
#define STYLIZE_TEST_CHECK_H
#include <stdio.h>

static int passed, failed;

#define CHECK(cond, ...) do {                                            \
        if (cond) { passed++; } else {                                   \
            failed++; printf("FAIL %s:%d: ", __FILE__, __LINE__);        \
            printf(__VA_ARGS__); printf("\n"); }                         \
    } while (0)

#endif
