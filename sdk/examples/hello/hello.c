/*
 * hello: the smallest useful pharos plugin. It registers one step (an
 * embedded script run on every host in the facts phase) and one typed
 * command, `pharos hello greet NAME [--times N] [--shout] [--pause SECONDS]`.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <pharos/plugin.h>

struct hello_state {
        const struct pharos_host *host;
        struct pharos_plugin *self;
};

/* scripts/greet.sh, embedded by pharos_add_plugin(... SCRIPTS ...). */
#include "hello_scripts.h"

/* Runs the embedded script on the step's host and logs what it printed. */
static int greet_run(struct pharos_step_ctx *ctx, void *state)
{
        struct hello_state *st = state;
        const struct pharos_env env[] = {{"GREETING", "hello"}};
        struct pharos_exec_result res;
        if (st->host->step_script(ctx, script_greet_sh, env, 1, PHAROS_EXEC_CHECK, &res) < 0)
                return -1;
        st->host->log(st->self, PHAROS_LOG_INFO, "%s", res.out);
        return 0;
}

static const struct pharos_step greet_step = {
        .struct_size = sizeof(struct pharos_step),
        .id = "hello.greet",
        .phase = "facts",
        .description = "run scripts/greet.sh on every host",
        .run = greet_run,
};

/* Called through libffi with the types declared in greet_params, in order. */
static int greet_cmd(void *state, const char *name, int64_t times, int shout, double pause)
{
        (void)state;
        if (times < 1 || times > 100 || pause < 0 || pause > 10) {
                fprintf(stderr, "hello greet: --times must be 1..100 and --pause 0..10\n");
                return 2;
        }
        for (int64_t i = 0; i < times; i++) {
                if (i > 0 && pause > 0) {
                        fflush(stdout);
                        struct timespec ts = {(time_t)pause,
                                              (long)((pause - (double)(time_t)pause) * 1e9)};
                        nanosleep(&ts, NULL);
                }
                printf("%s, ", shout ? "HELLO" : "Hello");
                for (const char *c = name; *c; c++)
                        putchar(shout ? toupper((unsigned char)*c) : *c);
                printf("!\n");
        }
        return 0;
}

static const struct pharos_param greet_params[] = {
        {.name = "name", .type = PHAROS_PARAM_STRING, .help = "who to greet"},
        {.name = "times",
         .type = PHAROS_PARAM_INT,
         .flags = PHAROS_PARAM_OPTION | PHAROS_PARAM_OPTIONAL,
         .default_value = "1",
         .help = "how many times"},
        {.name = "shout",
         .type = PHAROS_PARAM_BOOL,
         .flags = PHAROS_PARAM_OPTION | PHAROS_PARAM_OPTIONAL,
         .default_value = "false",
         .help = "in capitals"},
        {.name = "pause",
         .type = PHAROS_PARAM_DOUBLE,
         .flags = PHAROS_PARAM_OPTION | PHAROS_PARAM_OPTIONAL,
         .default_value = "0",
         .help = "seconds to wait between greetings"},
};

static const struct pharos_command greet_command = {
        .struct_size = sizeof(struct pharos_command),
        .name = "hello greet",
        .summary = "Print a greeting",
        .params = greet_params,
        .n_params = sizeof(greet_params) / sizeof(greet_params[0]),
        .fn = (void (*)(void))greet_cmd,
};

static int hello_init(const struct pharos_host *host, struct pharos_plugin *self, void **state)
{
        struct hello_state *st = calloc(1, sizeof(*st));
        if (!st) {
                host->set_error(self, "out of memory");
                return -1;
        }
        st->host = host;
        st->self = self;
        if (host->register_step(self, &greet_step) < 0 ||
            host->register_command(self, &greet_command) < 0) {
                free(st); /* fini is not called for a failed init */
                return -1;
        }
        *state = st;
        return 0;
}

static void hello_fini(void *state)
{
        free(state);
}

static const struct pharos_plugin_desc hello_desc = {
        PHAROS_PLUGIN_DESC_HEADER,
        .kind = PHAROS_KIND_OTHER,
        .name = "hello",
        .version = "1.0.0",
        .description = "Example plugin: one step and one typed command",
        .init = hello_init,
        .fini = hello_fini,
};

PHAROS_PLUGIN_DECLARE(hello, hello_desc)
