/* Monotonic milliseconds, for deadlines that must not jump with the wall clock. */
#ifndef PHAROS_CORE_UTIL_CLOCK_H
#define PHAROS_CORE_UTIL_CLOCK_H

long long pharos_now_ms(void);

#endif
