#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

#include "util/log.h"
#include "util/redact.h"

static int level_max = PHAROS_LOG_INFO;
static int color = -1;

void log_set_level(int level)
{
        level_max = level;
}

int log_get_level(void)
{
        return level_max;
}

void log_set_color(int on)
{
        color = on;
}

/* Threads log at once (a warning per host while connecting): the terminal is
 * asked once, not by each of them racing to write the answer. */
static pthread_once_t color_once = PTHREAD_ONCE_INIT;

static void detect_color(void)
{
        if (color < 0)
                color = isatty(STDERR_FILENO);
}

void log_vmsg(int level, const char *prefix, const char *fmt, va_list ap)
{
        static const char *const tag[] = {"error: ", "warning: ", "", ""};
        static const char *const col[] = {"\033[1;31m", "\033[1;33m", "", "\033[2m"};

        if (level > level_max)
                return;
        pthread_once(&color_once, detect_color);
        if (level < 0)
                level = 0;
        if (level > PHAROS_LOG_DEBUG)
                level = PHAROS_LOG_DEBUG;
        /* Build the line first so concurrent writers never interleave mid-line. */
        char line[4096];
        int n = 0;
        if (color && col[level][0])
                n += snprintf(line + n, sizeof(line) - (size_t)n, "%s", col[level]);
        n += snprintf(line + n, sizeof(line) - (size_t)n, "%s", tag[level]);
        if (prefix && n < (int)sizeof(line))
                n += snprintf(line + n, sizeof(line) - (size_t)n, "[%s] ", prefix);
        if (n < (int)sizeof(line))
                vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
        /* Hosts' output and errors reach the log: what looks like a secret is masked. */
        redact_str(line, sizeof(line));
        fprintf(stderr, "%s%s\n", line, color && col[level][0] ? "\033[0m" : "");
}

void log_msg(int level, const char *prefix, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        log_vmsg(level, prefix, fmt, ap);
        va_end(ap);
}
