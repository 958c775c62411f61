#include "util/error.h"
#include "util/redact.h"

#include <stdarg.h>
#include <stdio.h>

int perr_set(struct pharos_error *err, int code, const char *fmt, ...)
{
        if (err) {
                va_list ap;
                va_start(ap, fmt);
                err->code = code;
                vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
                va_end(ap);
                redact_str(err->msg, sizeof(err->msg));
        }
        return code;
}

int perr_exit_code(int code)
{
        if (code == 0)
                return 0;
        return code == PERR_USAGE ? 2 : 1;
}
