/* pharos: entry point, global options and command dispatch. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/plugin_cmd.h"
#include "util/log.h"

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

/* Takes a global option at argv[*i]; returns 1 if it was one, -1 on error. */
static int take_global(int argc, char **argv, int *i, const char ***paths, size_t *n_paths)
{
        const char *a = argv[*i];
        const char *val = NULL;
        if (strcmp(a, "--plugin-path") == 0) {
                if (*i + 1 >= argc) {
                        fprintf(stderr, "pharos: --plugin-path needs a directory\n");
                        return -1;
                }
                val = argv[++*i];
        } else if (strncmp(a, "--plugin-path=", 14) == 0) {
                val = a + 14;
        } else if (strcmp(a, "--verbose") == 0 || strcmp(a, "--debug") == 0) {
                log_set_level(PHAROS_LOG_DEBUG);
                return 1;
        } else if (strcmp(a, "--no-color") == 0) {
                log_set_color(0);
                return 1;
        } else if (strcmp(a, "--color") == 0) {
                log_set_color(1);
                return 1;
        } else {
                return 0;
        }
        const char **grown = realloc(*paths, (*n_paths + 1) * sizeof(*grown));
        if (!grown)
                return -1;
        *paths = grown;
        (*paths)[(*n_paths)++] = val;
        return 1;
}

int main(int argc, char **argv)
{
        struct cli_ctx ctx = {0};
        const char **paths = NULL;
        size_t n_paths = 0;
        int rc = 2, i = 1;
        char sysdir[PATH_MAX];

        registry_init(&ctx.reg);
        /* Global options before the command. */
        for (; i < argc && argv[i][0] == '-'; i++) {
                if (strcmp(argv[i], "-v") == 0) {
                        log_set_level(PHAROS_LOG_DEBUG);
                        continue;
                }
                if (cli_is_help(argv[i]))
                        break;
                if (strcmp(argv[i], "--version") == 0) {
                        argv[i] = "version";
                        break;
                }
                int t = take_global(argc, argv, &i, &paths, &n_paths);
                if (t < 0)
                        goto out;
                if (t == 0) {
                        fprintf(stderr,
                                "pharos: unknown option '%s'\nRun 'pharos --help' for usage.\n",
                                argv[i]);
                        goto out;
                }
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
        /* Global options after the command name, unless it wants its arguments raw. */
        if (cmd && !(cmd->flags & CLI_RAW_ARGS)) {
                int k = 1;
                for (int j = 1; j < cargc; j++) {
                        if (strcmp(cargv[j], "--") == 0) {
                                while (j < cargc)
                                        cargv[k++] = cargv[j++];
                                break;
                        }
                        int t = take_global(cargc, cargv, &j, &paths, &n_paths);
                        if (t < 0)
                                goto out;
                        if (t == 0)
                                cargv[k++] = cargv[j];
                }
                cargc = k;
                cargv[k] = NULL;
        }
        ctx.lopts = (struct loader_opts){
                .paths = paths,
                .n_paths = n_paths,
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
        free(paths);
        return rc;
}
