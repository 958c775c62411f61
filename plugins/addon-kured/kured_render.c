#include <stdio.h>

#include "addon-kured_scripts.h"
#include "addon.h"
#include "kured_render.h"

static void arg(struct abuf *b, const char *flag, const char *value)
{
        if (!value)
                return;
        struct abuf a;
        abuf_init(&a);
        abuf_printf(&a, "%s=%s", flag, value);
        abuf_puts(b, ", ");
        abuf_json_str(b, a.ok ? a.s : "");
        b->ok &= a.ok;
        abuf_free(&a);
}

char *kured_render(const struct kured_opts *o, char *bad, size_t bad_size)
{
        struct abuf args, image;
        abuf_init(&args);
        abuf_init(&image);
        abuf_puts(&args, "[");
        abuf_json_str(&args, "--reboot-sentinel=/var/run/reboot-required");
        arg(&args, "--period", o->period ? o->period : "1h");
        arg(&args, "--start-time", o->start_time);
        arg(&args, "--end-time", o->end_time);
        arg(&args, "--time-zone", o->time_zone);
        if (o->n_reboot_days) {
                struct abuf days;
                abuf_init(&days);
                for (size_t i = 0; i < o->n_reboot_days; i++)
                        abuf_printf(&days, "%s%s", i ? "," : "", o->reboot_days[i]);
                arg(&args, "--reboot-days", days.ok ? days.s : "");
                args.ok &= days.ok;
                abuf_free(&days);
        }
        for (size_t i = 0; i < o->n_extra_args; i++) {
                abuf_puts(&args, ", ");
                abuf_json_str(&args, o->extra_args[i]);
        }
        abuf_puts(&args, "]");
        abuf_json_str(&image, o->image ? o->image : KURED_IMAGE);
        char *out = NULL;
        if (args.ok && image.ok) {
                const struct addon_var vars[] = {{"IMAGE", image.s}, {"ARGS", args.s}};
                out = addon_render(script_kured_yml, vars, 2, bad, bad_size);
        } else {
                snprintf(bad, bad_size, "out of memory");
        }
        abuf_free(&args);
        abuf_free(&image);
        return out;
}
