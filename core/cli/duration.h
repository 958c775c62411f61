/* Durations on the command line: "90s", "5m", "1h30m", "250ms", a bare number of seconds. */
#ifndef PHAROS_CORE_CLI_DURATION_H
#define PHAROS_CORE_CLI_DURATION_H

/* Parses text into milliseconds. Returns 0, or -1 when it is not a duration. */
int duration_parse_ms(const char *text, long *ms);

#endif
