#include "cli/cli.h"

extern const struct cli_command cmd_help;
extern const struct cli_command cmd_version;
extern const struct cli_command cmd_plugins;
extern const struct cli_command cmd_up;
extern const struct cli_command cmd_kubeconfig;
extern const struct cli_command cmd_config;
extern const struct cli_command cmd_exec;
extern const struct cli_command cmd_ssh;
extern const struct cli_command cmd_addons;
extern const struct cli_command cmd_drain;
extern const struct cli_command cmd_delete_node;
extern const struct cli_command cmd_worker;
extern const struct cli_command cmd_reset;
extern const struct cli_command cmd_etcd;
extern const struct cli_command cmd_completion;
extern const struct cli_command cmd_man;

const struct cli_command *const cli_commands[] = {
        &cmd_help,        &cmd_version, &cmd_plugins, &cmd_up,     &cmd_kubeconfig,
        &cmd_config,      &cmd_exec,    &cmd_ssh,     &cmd_addons, &cmd_drain,
        &cmd_delete_node, &cmd_worker,  &cmd_reset,   &cmd_etcd,   &cmd_completion,
        &cmd_man,         NULL,
};
