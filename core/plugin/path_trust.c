#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "plugin/path_trust.h"

/* NULL when st is safe, else why not ("" names what is wrong after "is"/"owned"). */
static const char *unsafe(const struct stat *st, int ancestor, char *why, size_t cap)
{
        uid_t me = geteuid();
        if (st->st_uid != 0 && st->st_uid != me) {
                snprintf(why, cap,
                         "owned by uid %u, not by root or the user running pharos (uid %u)",
                         (unsigned)st->st_uid, (unsigned)me);
                return why;
        }
        if ((st->st_mode & (S_IWGRP | S_IWOTH)) == 0)
                return NULL;
        if (ancestor && S_ISDIR(st->st_mode) && (st->st_mode & S_ISVTX) && st->st_uid == 0)
                return NULL;
        snprintf(why, cap, "writable by group or others (mode %04o)",
                 (unsigned)(st->st_mode & 07777));
        return why;
}

int plugin_path_trusted(const char *path, char *real, size_t cap, struct pharos_error *err)
{
        char resolved[PATH_MAX], why[128];
        struct stat st;
        if (cap < sizeof(resolved) || !realpath(path, resolved) || stat(resolved, &st) < 0)
                return perr_set(err, PERR_FAIL, "%s: rejected: cannot read it: %s", path,
                                strerror(errno));
        const char *what = S_ISDIR(st.st_mode) ? "directory" : "file";
        if (unsafe(&st, 0, why, sizeof(why)))
                return perr_set(err, PERR_FAIL, "%s: refused: the %s is %s", path, what, why);
        /* Whoever can write a directory above can swap what it leads to. */
        char dir[PATH_MAX];
        snprintf(dir, sizeof(dir), "%s", resolved);
        for (char *slash; (slash = strrchr(dir, '/'));) {
                if (slash == dir)
                        slash[1] = '\0';
                else
                        *slash = '\0';
                if (stat(dir, &st) < 0)
                        return perr_set(err, PERR_FAIL, "%s: refused: cannot check %s: %s", path,
                                        dir, strerror(errno));
                if (unsafe(&st, 1, why, sizeof(why)))
                        return perr_set(err, PERR_FAIL, "%s: refused: directory %s above it is %s",
                                        path, dir, why);
                if (strcmp(dir, "/") == 0)
                        break;
        }
        snprintf(real, cap, "%s", resolved);
        return 0;
}
