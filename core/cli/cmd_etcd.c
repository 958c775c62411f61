/* pharos etcd backup and restore: a snapshot of the cluster's etcd saved
 * (cli/etcd_backup.h) and put back (cli/etcd_restore.h). */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/etcd_backup.h"
#include "cli/etcd_restore.h"
#include "run/interrupt.h"

extern const struct cli_command cmd_etcd;

/* Returns 0 to go on, 1 when --help was printed, 2 on a usage error. */
static int parse_backup(int argc, char **argv, struct etcd_backup_opts *o)
{
        static const struct option longopts[] = {
                {"config", required_argument, NULL, 'c'}, {"output", required_argument, NULL, 'o'},
                {"force", no_argument, NULL, 'f'},        {"trust-hosts", no_argument, NULL, 'T'},
                {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0},
        };
        optind = 0;
        opterr = 0;
        int c;
        while ((c = getopt_long(argc, argv, "c:o:fh", longopts, NULL)) != -1) {
                switch (c) {
                case 'c':
                        o->config = optarg;
                        break;
                case 'o':
                        if (!*optarg)
                                return cli_usage_error(&cmd_etcd, "--output needs a file name");
                        o->output = optarg;
                        break;
                case 'f':
                        o->force = 1;
                        break;
                case 'T':
                        o->tp.trust_hosts = 1;
                        break;
                case 'h':
                        cli_usage(&cmd_etcd, stdout);
                        return 1;
                default:
                        return cli_usage_error(&cmd_etcd, "unknown or incomplete option '%s'",
                                               argv[optind - 1]);
                }
        }
        if (optind < argc)
                return cli_usage_error(&cmd_etcd, "unexpected argument '%s'", argv[optind]);
        return 0;
}

static int backup(struct cli_ctx *ctx, int argc, char **argv)
{
        struct etcd_backup_opts o = {.config = "cluster.yml"};
        int rc = parse_backup(argc, argv, &o);
        if (rc)
                return rc == 1 ? 0 : rc;
        /* SIGINT stops the transfer between two blocks, so the partial file goes. */
        run_signals_notice("pharos: interrupted: the transfer stops and its partial file is "
                           "removed (again to stop at once)\n");
        if (run_signals_start() < 0)
                fprintf(stderr, "warning: SIGINT would leave a temporary file behind\n");
        struct pharos_error err = {0};
        rc = etcd_backup(ctx, &o, &err);
        if (rc < 0)
                fprintf(stderr, "error: %s\n", err.msg);
        if (rc < 0 && run_interrupted())
                return RUN_INTERRUPTED_EXIT;
        return perr_exit_code(rc);
}

/* Returns 0 to go on, 1 when --help was printed, 2 on a usage error. */
static int parse_restore(int argc, char **argv, struct etcd_restore_opts *o)
{
        static const struct option longopts[] = {
                {"config", required_argument, NULL, 'c'},
                {"yes", no_argument, NULL, 'y'},
                {"trust-hosts", no_argument, NULL, 'T'},
                {"help", no_argument, NULL, 'h'},
                {NULL, 0, NULL, 0},
        };
        optind = 0;
        opterr = 0;
        int c;
        while ((c = getopt_long(argc, argv, "c:yh", longopts, NULL)) != -1) {
                switch (c) {
                case 'c':
                        o->config = optarg;
                        break;
                case 'y':
                        o->yes = 1;
                        break;
                case 'T':
                        o->tp.trust_hosts = 1;
                        break;
                case 'h':
                        cli_usage(&cmd_etcd, stdout);
                        return 1;
                default:
                        return cli_usage_error(&cmd_etcd, "unknown or incomplete option '%s'",
                                               argv[optind - 1]);
                }
        }
        if (optind >= argc)
                return cli_usage_error(&cmd_etcd, "restore needs the snapshot FILE");
        o->file = argv[optind++];
        if (optind < argc)
                return cli_usage_error(&cmd_etcd, "unexpected argument '%s'", argv[optind]);
        return 0;
}

static int restore(struct cli_ctx *ctx, int argc, char **argv)
{
        struct etcd_restore_opts o = {.config = "cluster.yml"};
        int rc = parse_restore(argc, argv, &o);
        if (rc)
                return rc == 1 ? 0 : rc;
        struct pharos_error err = {0};
        rc = etcd_restore(ctx, &o, &err);
        if (rc < 0)
                fprintf(stderr, "error: %s\n", err.msg);
        return perr_exit_code(rc);
}

static int run(struct cli_ctx *ctx, int argc, char **argv)
{
        if (argc < 2 || cli_is_help(argv[1])) {
                cli_usage(&cmd_etcd, argc < 2 ? stderr : stdout);
                return argc < 2 ? 2 : 0;
        }
        if (strcmp(argv[1], "backup") == 0)
                return backup(ctx, argc - 1, argv + 1);
        if (strcmp(argv[1], "restore") == 0)
                return restore(ctx, argc - 1, argv + 1);
        return cli_usage_error(&cmd_etcd, "unknown subcommand '%s'", argv[1]);
}

const struct cli_command cmd_etcd = {
        .name = "etcd",
        .summary = "Back up and restore the cluster's etcd",
        .usage = "usage: pharos etcd backup [-c FILE] [-o FILE] [--force]\n"
                 "       pharos etcd restore [-c FILE] [--yes] FILE\n"
                 "\n"
                 "backup  saves a snapshot of the stacked etcd of the masters: the whole\n"
                 "        cluster's data, Secrets included. The masters of cluster.yml are asked\n"
                 "        in order and the first whose etcd member answers healthy sends it,\n"
                 "        through etcd's snapshot API over an SSH tunnel, authenticated with the\n"
                 "        etcd client certificate on that master. Progress goes to stderr.\n"
                 "\n"
                 "        The file is what `etcdctl snapshot save` writes and `etcdutl snapshot\n"
                 "        restore` takes: the database with the SHA-256 etcd appends, checked on\n"
                 "        arrival; a stream cut short or a checksum that differs is an error.\n"
                 "        It is written mode 0600 under a temporary name and renamed once whole:\n"
                 "        on any failure (or SIGINT) nothing is left. Beside it, FILE.json (0600)\n"
                 "        says what it is: file, size, sha256 (of the whole file, as sha256sum\n"
                 "        prints it), db_size, db_sha256, cluster_name, kubernetes_version and\n"
                 "        kubernetes_version_from (the cluster state, or cluster.yml when the API\n"
                 "        does not answer), etcd_member (the master's address),\n"
                 "        etcd_member_address, etcd_version, taken_at (UTC) and pharos_version.\n"
                 "        An external etcd (etcd.endpoints) is refused: back it up where it runs.\n"
                 "\n"
                 "restore puts a snapshot `etcd backup` saved back onto every master of\n"
                 "        cluster.yml, as etcd's disaster-recovery procedure does: on each, the\n"
                 "        snapshot is uploaded (0600) into etcd's data directory and `etcdutl\n"
                 "        snapshot restore` in the etcd container (through crictl) makes a new\n"
                 "        data directory for the member, with a new cluster token, revisions\n"
                 "        bumped and marked compacted where etcdutl can; then the API servers,\n"
                 "        controller managers, schedulers and etcd stop (their static pod\n"
                 "        manifests moved to /etc/kubernetes/pharos-restore), the member's data\n"
                 "        moves aside to member.pre-restore-TIME (kept: nothing is deleted), the\n"
                 "        restored one moves in, the manifests come back, and it waits for etcd's\n"
                 "        /health and the API. Progress goes to stderr.\n"
                 "\n"
                 "        Refused, with nothing changed: without FILE.json or when FILE's\n"
                 "        sha256 is not the one it records, a snapshot of another cluster than\n"
                 "        cluster.yml names, an external etcd, a master not reached, and without\n"
                 "        --yes (which prints what would be done). A run that fails midway says\n"
                 "        so; running it again repairs: it first puts back what was moved aside.\n"
                 "\n"
                 "Options:\n"
                 "  -c, --config FILE  cluster.yml to read (default: cluster.yml)\n"
                 "  -o, --output FILE  where to save the snapshot (default:\n"
                 "                     CLUSTER-etcd-YYYYMMDDTHHMMSSZ.db in the current directory)\n"
                 "  -f, --force        replace FILE and FILE.json when they exist (refused\n"
                 "                     otherwise, before any host is reached)\n"
                 "  -y, --yes          restore (restore only; without it, say what it would do)\n"
                 "      --trust-hosts  accept and record changed host keys\n"
                 "\n"
                 "Exit status: backup: 0 saved, 1 no healthy member, a failed or corrupt transfer "
                 "or\n"
                 "a write error, 2 usage, cluster.yml error, external etcd or an existing\n"
                 "file, 130 interrupted. restore: 0 restored, 1 failed on a master (the error\n"
                 "names it and the step), 2 usage, cluster.yml error or a refusal above.\n",
        .run = run,
};
