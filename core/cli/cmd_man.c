/* pharos man: pharos(1) in roff, from the texts --help prints. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pharos/version.h>

#include "cli/cli.h"
#include "cli/plugin_cmd.h"

extern const struct cli_command cmd_man;

/* Text as roff: backslashes and dashes escaped, no line taken for a request. */
static void roff(FILE *f, const char *s, size_t n)
{
        int bol = 1;
        for (size_t i = 0; i < n; i++) {
                char c = s[i];
                if (bol && (c == '.' || c == '\''))
                        fputs("\\&", f);
                if (c == '\\')
                        fputs("\\e", f);
                else if (c == '-')
                        fputs("\\-", f);
                else
                        fputc(c, f);
                bol = c == '\n';
        }
}

static void roff_str(FILE *f, const char *s)
{
        roff(f, s, strlen(s));
}

/* A usage text as it looks at the terminal: no filling, no adjusting. */
static void preformatted(FILE *f, const char *text, size_t n)
{
        fputs(".PP\n.nf\n", f);
        roff(f, text, n);
        if (n && text[n - 1] != '\n')
                fputc('\n', f);
        fputs(".fi\n", f);
}

/* A text after its first line (its heading in --help). */
static const char *body(const char *text)
{
        const char *nl = strchr(text, '\n');
        return nl ? nl + 1 : text;
}

static void plugin_commands(FILE *f, const struct registry *reg)
{
        if (!reg->n_cmds)
                return;
        fputs(".SH PLUGIN COMMANDS\nCommands added by the plugins this page was made with.\n", f);
        for (size_t i = 0; i < reg->n_cmds; i++) {
                char *buf = NULL;
                size_t len = 0;
                FILE *m = open_memstream(&buf, &len);
                if (!m)
                        continue;
                pcmd_usage(&reg->cmds[i].cmd, m);
                fclose(m);
                fputs(".SS \"", f);
                roff_str(f, reg->cmds[i].cmd.name);
                fputs("\"\nFrom the ", f);
                roff_str(f, reg->cmds[i].owner->desc.name);
                fputs(" plugin.\n", f);
                preformatted(f, buf, len);
                free(buf);
        }
}

static int run(struct cli_ctx *ctx, int argc, char **argv)
{
        if (argc > 1 && cli_is_help(argv[1])) {
                cli_usage(&cmd_man, stdout);
                return 0;
        }
        if (argc > 1)
                return cli_usage_error(&cmd_man, "unexpected argument '%s'", argv[1]);
        cli_load_plugins(ctx);
        FILE *f = stdout;
        fprintf(f, ".TH PHAROS 1 \"\" \"pharos %s\" \"User Commands\"\n.SH NAME\npharos \\- ",
                PHAROS_VERSION);
        /* The summary line: cli_about's first sentence without its subject, on one line. */
        const char *about = cli_about + (strncmp(cli_about, "pharos ", 7) ? 0 : 7);
        size_t n = strcspn(about, "\n");
        while (about[n] &&
               !(about[n] == '.' && (about[n + 1] == ' ' || about[n + 1] == '\n' || !about[n + 1])))
                n++;
        for (size_t i = 0; i < n; i++)
                fputc(about[i] == '\n' ? ' ' : about[i], f);
        fputs("\n.SH SYNOPSIS\n.B pharos\n[\\fIGLOBAL OPTIONS\\fR] \\fICOMMAND\\fR "
              "[\\fIARGS\\fR]...\n.SH DESCRIPTION\n",
              f);
        roff_str(f, cli_about);
        fputs(".SH COMMANDS\n", f);
        for (const struct cli_command *const *c = cli_commands; *c; c++) {
                fputs(".SS ", f);
                roff_str(f, (*c)->name);
                fputs("\n", f);
                roff_str(f, (*c)->summary);
                fputs(".\n", f);
                preformatted(f, (*c)->usage, strlen((*c)->usage));
        }
        plugin_commands(f, &ctx->reg);
        fputs(".SH GLOBAL OPTIONS\nThey may come after the command too; nothing after "
              "\\fB\\-\\-\\fR is one.\n",
              f);
        for (const struct cli_option *o = cli_global_options; o->long_name; o++) {
                char names[64];
                cli_option_names(o, names, sizeof(names));
                fputs(".TP\n.B ", f);
                roff_str(f, names);
                fputs("\n", f);
                roff_str(f, o->help);
                fputs("\n", f);
        }
        fputs(".SH ENVIRONMENT\n", f);
        preformatted(f, body(cli_environment), strlen(body(cli_environment)));
        fputs(".SH EXIT STATUS\n", f);
        roff_str(f, cli_exit_status);
        fputs(".SH SEE ALSO\n\\fBkubectl\\fR(1), \\fBkubeadm\\fR(1), \\fBssh\\fR(1)\n", f);
        return 0;
}

const struct cli_command cmd_man = {
        .name = "man",
        .summary = "Print the pharos(1) manual page (roff)",
        .usage = "usage: pharos man\n"
                 "\n"
                 "Prints pharos(1) made from the texts 'pharos help' and the commands'\n"
                 "usages print, with the commands of the plugins loaded now. Read it with\n"
                 "  pharos man | man -l -\n",
        .run = run,
};
