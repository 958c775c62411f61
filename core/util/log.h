/* Leveled logging to stderr: colour only on a TTY, optional per-host prefix. */
#ifndef PHAROS_CORE_LOG_H
#define PHAROS_CORE_LOG_H

#include <stdarg.h>

#include <pharos/host.h>

/* Messages above this level are dropped (PHAROS_LOG_INFO by default; -v raises it). */
void log_set_level(int level);
int log_get_level(void);
/* Forces colour on or off; by default colour is used when stderr is a TTY. */
void log_set_color(int on);

/* One line on stderr: "error: ", "warning: " prefixes for those levels, then
 * "[prefix] " when prefix is not NULL. */
void log_msg(int level, const char *prefix, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
void log_vmsg(int level, const char *prefix, const char *fmt, va_list ap);

#define log_error(...) log_msg(PHAROS_LOG_ERROR, NULL, __VA_ARGS__)
#define log_warn(...)  log_msg(PHAROS_LOG_WARN, NULL, __VA_ARGS__)
#define log_info(...)  log_msg(PHAROS_LOG_INFO, NULL, __VA_ARGS__)
#define log_debug(...) log_msg(PHAROS_LOG_DEBUG, NULL, __VA_ARGS__)

#endif
