/* The kured stack from its options (pure: unit-tested). */
#ifndef PHAROS_ADDON_KURED_RENDER_H
#define PHAROS_ADDON_KURED_RENDER_H

#include <stddef.h>

#define KURED_IMAGE "ghcr.io/kubereboot/kured:1.16.0"

struct kured_opts {
        const char *image;
        const char *period;     /* how often to look for the sentinel, e.g. "1h" */
        const char *start_time; /* reboot window, e.g. "2am", or NULL */
        const char *end_time;
        const char *time_zone;
        const char *const *reboot_days;
        size_t n_reboot_days;
        const char *const *extra_args;
        size_t n_extra_args;
};

/* The stack's YAML (malloc'd), or NULL with the failing template name in bad. */
char *kured_render(const struct kured_opts *o, char *bad, size_t bad_size);

#endif
