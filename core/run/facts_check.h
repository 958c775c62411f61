/*
 * The facts a host reports are untrusted: its hostname names its Node in
 * API paths, the os-release fields choose package lists and repository
 * URLs. Each is checked once, when gathered, so no later use needs to.
 */
#ifndef PHAROS_CORE_RUN_FACTS_CHECK_H
#define PHAROS_CORE_RUN_FACTS_CHECK_H

#include <stddef.h>

#include "run/run.h"

/*
 * 0 when every fact in facts (FACT_COUNT entries, NULL for unknown) has the
 * form its source documents; else -1 with "FACT 'VALUE' REASON" in why (n
 * bytes), the value cut and with control characters shown as '?'.
 */
int run_facts_check(char *const facts[FACT_COUNT], char *why, size_t n);

#endif
