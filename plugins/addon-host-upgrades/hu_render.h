/* addon-host-upgrades' pure conversions (unit-tested). */
#ifndef PHAROS_ADDON_HU_RENDER_H
#define PHAROS_ADDON_HU_RENDER_H

#include <stddef.h>

/*
 * The systemd OnCalendar= expression for a cron schedule: five fields
 * (minute hour day-of-month month day-of-week, with *, lists, ranges,
 * steps and month/day names) or @hourly/@daily/@weekly/@monthly/@yearly.
 * Returns 0, or -1 with the reason in why. Day of month and day of week
 * both restricted is refused: cron runs when either matches, a timer only
 * when both do.
 */
int hu_calendar(const char *cron, char *out, size_t size, char *why, size_t why_size);

/*
 * The RandomizedDelaySec= value for a window such as "30m", "1h30m", "2h",
 * "45s", "1d" or a number of seconds: "<seconds>s". Returns 0 or -1.
 */
int hu_window(const char *spec, char *out, size_t size);

#endif
