#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/atomic_file.h"

int atomic_file_check(const char *path, int replace, struct pharos_error *err)
{
        struct stat st;
        if (lstat(path, &st) < 0)
                return 0;
        if (S_ISDIR(st.st_mode))
                return perr_set(err, PERR_USAGE, "%s is a directory", path);
        if (!replace)
                return perr_set(err, PERR_USAGE,
                                "%s exists: refusing to overwrite it (--force replaces it)", path);
        return 0;
}

int atomic_file_open(struct atomic_file *f, const char *path, struct pharos_error *err)
{
        memset(f, 0, sizeof(*f));
        f->fd = -1;
        const char *slash = strrchr(path, '/');
        int dir_len = slash ? (int)(slash - path + 1) : 0;
        if (snprintf(f->path, sizeof(f->path), "%s", path) >= (int)sizeof(f->path) ||
            snprintf(f->tmp, sizeof(f->tmp), "%.*s.%s.XXXXXX", dir_len, path,
                     slash ? slash + 1 : path) >= (int)sizeof(f->tmp))
                return perr_set(err, PERR_USAGE, "%s: path too long", path);
        /* mkstemp creates it 0600: the content is secret from its first byte on. */
        f->fd = mkstemp(f->tmp);
        if (f->fd < 0) {
                int e = errno;
                f->tmp[0] = '\0';
                return perr_set(err, PERR_FAIL, "can't create a file beside %s: %s", path,
                                strerror(e));
        }
        return 0;
}

int atomic_file_write(struct atomic_file *f, const void *data, size_t len, struct pharos_error *err)
{
        const char *p = data;
        while (len > 0) {
                ssize_t n = write(f->fd, p, len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return perr_set(err, PERR_FAIL, "%s: %s", f->tmp, strerror(errno));
                p += n;
                len -= (size_t)n;
        }
        return 0;
}

/* Flushes the directory holding path, so the new name survives a crash too. */
static void sync_dir(const char *path)
{
        char dir[PATH_MAX];
        const char *slash = strrchr(path, '/');
        snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - path) + 1 : 1, slash ? path : ".");
        int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return;
        fsync(fd);
        close(fd);
}

int atomic_file_commit(struct atomic_file *f, int replace, struct pharos_error *err)
{
        int rc = 0;
        if (fsync(f->fd) < 0)
                rc = perr_set(err, PERR_FAIL, "%s: %s", f->tmp, strerror(errno));
        if (close(f->fd) < 0 && rc == 0)
                rc = perr_set(err, PERR_FAIL, "%s: %s", f->tmp, strerror(errno));
        f->fd = -1;
        if (rc == 0 && replace && rename(f->tmp, f->path) < 0)
                rc = perr_set(err, PERR_FAIL, "%s: %s", f->path, strerror(errno));
        /* link() refuses an existing name where rename() would replace it. */
        if (rc == 0 && !replace && link(f->tmp, f->path) < 0)
                rc = errno == EEXIST ? perr_set(err, PERR_USAGE,
                                                "%s exists: refusing to overwrite it (--force "
                                                "replaces it)",
                                                f->path)
                                     : perr_set(err, PERR_FAIL, "%s: %s", f->path, strerror(errno));
        if (rc == 0 && replace)
                f->tmp[0] = '\0';
        atomic_file_discard(f);
        if (rc == 0)
                sync_dir(f->path);
        return rc;
}

void atomic_file_discard(struct atomic_file *f)
{
        if (f->fd >= 0)
                close(f->fd);
        f->fd = -1;
        if (f->tmp[0])
                unlink(f->tmp);
        f->tmp[0] = '\0';
}
