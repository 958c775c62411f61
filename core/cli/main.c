/* pharos: entry point, global options and command dispatch. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/plugin_cmd.h"

#if !defined(PHAROS_SYSTEM_PLUGIN_DIR) || !defined(PHAROS_PLUGIN_REL_DIR)
#error "PHAROS_SYSTEM_PLUGIN_DIR and PHAROS_PLUGIN_REL_DIR must be defined by the build"
#endif

extern const struct cli_command cmd_help;

/*
 * The installed plugin directory. An installed pharos lives in PREFIX/bin and
 * finds PREFIX/<libdir>/pharos/plugins/<abi> next to itself, so an install
 * tree can be moved (or installed with --prefix) and still find its plugins.
 */
static const char *system_plugin_dir(char *buf, size_t size)
{
        char exe[PATH_MAX];
        ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
        if (n > 0) {
                exe[n] = '\0';
                char *slash = strrchr(exe, '/');
                if (slash && slash - exe >= 4 && strncmp(slash - 4, "/bin", 4) == 0) {
                        slash[-4] = '\0';
                        int len = snprintf(buf, size, "%s/%s", exe, PHAROS_PLUGIN_REL_DIR);
                        if (len > 0 && (size_t)len < size)
                                return buf;
                }
        }
        return PHAROS_SYSTEM_PLUGIN_DIR;
}

static const struct cli_command *find_command(const char *name)
{
        for (const struct cli_command *const *c = cli_commands; *c; c++)
                if (strcmp((*c)->name, name) == 0)
                        return *c;
        return NULL;
}

/*
 * Takes the global options among argv[1..argc-1] out of argv, as kubectl does
 * after its command; "--" and everything after it stay. Returns the new argc,
 * or -1 with err set.
 */
static int take_globals_after(struct cli_ctx *ctx, int argc, char **argv, struct pharos_error *err)
{
        int k = 1;
        for (int j = 1; j < argc; j++) {
                if (strcmp(argv[j], "--") == 0) {
                        while (j < argc)
                                argv[k++] = argv[j++];
                        break;
                }
                int t = cli_take_global(ctx, argc, argv, &j, err);
                if (t < 0)
                        return -1;
                if (t == 0)
                        argv[k++] = argv[j];
        }
        argv[k] = NULL;
        return k;
}

int main(int argc, char **argv)
{
        struct cli_ctx ctx = {0};
        struct pharos_error err = {0};
        int rc = 2, i = 1, saw_v = 0;
        char sysdir[PATH_MAX];

        registry_init(&ctx.reg);
        /* Global options before the command. */
        for (; i < argc && argv[i][0] == '-'; i++) {
                if (cli_is_help(argv[i]))
                        break;
                if (strcmp(argv[i], "--version") == 0) {
                        argv[i] = "version";
                        break;
                }
                saw_v |= strcmp(argv[i], "-v") == 0;
                int t = cli_take_global(&ctx, argc, argv, &i, &err);
                if (t < 0) {
                        fprintf(stderr, "pharos: %s\n", err.msg);
                        goto out;
                }
                if (t == 0) {
                        fprintf(stderr,
                                "pharos: unknown option '%s'\nRun 'pharos --help' for usage.\n",
                                argv[i]);
                        goto out;
                }
        }
        /* The original pharos printed its version for -v; here it is --verbose. */
        if (i >= argc && saw_v) {
                fprintf(stderr, "pharos: -v means --verbose and needs a command; for the version "
                                "run 'pharos --version' or 'pharos version'\n");
                goto out;
        }
        const struct cli_command *cmd =
                i < argc && !cli_is_help(argv[i]) ? find_command(argv[i]) : &cmd_help;
        int cargc = argc - i;
        char **cargv = argv + i;
        char *help_argv[] = {"help", NULL};
        if (i >= argc || cli_is_help(argv[i])) {
                cargc = 1;
                cargv = help_argv;
        }
        if (!cmd || !(cmd->flags & CLI_RAW_ARGS)) {
                cargc = take_globals_after(&ctx, cargc, cargv, &err);
                if (cargc < 0) {
                        fprintf(stderr, "pharos: %s\n", err.msg);
                        goto out;
                }
        }
        ctx.lopts = (struct loader_opts){
                .env_path = getenv("PHAROS_PLUGIN_PATH"),
                .builtins = 1,
                .system_dir = getenv("PHAROS_NO_SYSTEM_PLUGINS")
                                      ? NULL
                                      : system_plugin_dir(sysdir, sizeof(sysdir)),
        };
        if (cmd) {
                rc = cmd->run(&ctx, cargc, cargv);
                goto out;
        }
        cli_load_plugins(&ctx);
        int words = 0;
        const struct reg_command *pc = pcmd_find(&ctx.reg, cargc, cargv, &words);
        if (pc) {
                rc = pcmd_run(pc, cargc - words, cargv + words);
                goto out;
        }
        fprintf(stderr,
                "pharos: unknown command '%s'\nRun 'pharos help' for the list of commands.\n",
                cargv[0]);
        rc = 2;
out:
        registry_free(&ctx.reg);
        free(ctx.plugin_paths);
        return rc;
}
