/* cfg_load internals: the typed view, the plugin-facing node API, substitution, suggestions. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config/config.h"
#include "config/defaults.h"
#include "config/envsubst.h"
#include "config/keys.h"
#include "config/load.h"
#include "config/parse.h"
#include "config/schema.h"
#include "config/suggest.h"
#include "plugin/host_services.h"
#include "plugin/loader.h"

#define FX(v) FIXTURE_DIR "/" v "/" v ".so"

static struct cluster_config *load_ok(const char *text, const struct registry *reg)
{
        struct cfg_diags d = {0};
        struct pharos_error err = {0};
        struct cluster_config *cfg = NULL;
        int rc = cfg_load_buffer(text, strlen(text), "test.yml", reg, &cfg, &d, &err);
        if (rc < 0)
                cfg_diag_print(&d, "test.yml", stderr);
        cfg_diag_free(&d);
        assert_int_equal(rc, 0);
        assert_non_null(cfg);
        return cfg;
}

static void typed_hosts_and_defaults(void **s)
{
        (void)s;
        setenv("HOME", "/home/t", 1);
        struct cluster_config *cfg =
                load_ok("hosts:\n"
                        "  - address: 10.0.0.1\n"
                        "    role: master\n"
                        "    labels: {disk: ssd}\n"
                        "    taints: [{key: a, effect: NoSchedule}]\n"
                        "    bastion: {address: jump, ssh_port: 2200}\n"
                        "    user: admin\n"
                        "  - {address: 10.0.0.2, role: worker, ssh_port: 2222}\n",
                        NULL);
        assert_int_equal(cfg->n_hosts, 2);
        const struct cfg_host *h = &cfg->hosts[0];
        assert_string_equal(h->address, "10.0.0.1");
        assert_string_equal(h->role, "master");
        assert_string_equal(h->user, "admin");
        assert_string_equal(h->ssh_key_path, "/home/t/.ssh/id_rsa");
        assert_int_equal(h->ssh_port, 22);
        assert_null(h->private_address);
        assert_int_equal(h->mark.line, 2);
        assert_int_equal(h->mark.col, 5);
        assert_int_equal(h->n_labels, 1);
        assert_string_equal(h->labels[0].key, "disk");
        assert_string_equal(h->labels[0].value, "ssd");
        assert_int_equal(h->n_taints, 1);
        assert_null(h->taints[0].value);
        assert_string_equal(h->taints[0].effect, "NoSchedule");
        assert_non_null(h->bastion);
        assert_string_equal(h->bastion->user, "admin"); /* inherited from the host */
        assert_string_equal(h->bastion->ssh_key_path, "/home/t/.ssh/id_rsa");
        assert_int_equal(h->bastion->ssh_port, 2200);
        assert_int_equal(h->given, CFG_GIVEN_USER);
        assert_string_equal(h->container_runtime, PHAROS_DEFAULT_CONTAINER_RUNTIME);
        assert_int_equal(cfg->hosts[1].ssh_port, 2222);
        assert_int_equal(cfg->hosts[1].given, CFG_GIVEN_SSH_PORT);
        assert_null(cfg->hosts[1].bastion);
        assert_int_equal(cfg->hosts[1].mark.line, 8);

        const struct cfg_doc *d = cfg->doc;
        assert_null(cfg->name);
        assert_string_equal(d->network.provider, "weave");
        assert_string_equal(d->network.service_cidr, "10.96.0.0/12");
        assert_string_equal(d->network.pod_network_cidr, "10.32.0.0/12");
        assert_int_equal(d->network.dns_replicas, 2);
        assert_false(d->network.node_local_dns_cache);
        assert_false(d->network.firewalld.enabled);
        assert_int_equal(d->network.firewalld.n_open_ports, 6);
        assert_string_equal(d->network.firewalld.open_ports[5].port, "30000-32767");
        assert_string_equal(d->network.firewalld.open_ports[5].protocol, "udp");
        assert_string_equal(d->kubernetes.version, PHAROS_DEFAULT_KUBE_VERSION);
        assert_null(d->etcd);
        assert_null(d->api);
        assert_int_equal(d->audit.file.max_age, 30);
        assert_string_equal(d->kube_proxy.mode, "iptables");
        assert_int_equal(d->kubelet.n_system_reserved, 2);
        assert_string_equal(d->kubelet.system_reserved[1].value, "50Mi");
        assert_true(d->kubelet.cpu_cfs_quota);
        assert_string_equal(d->image_repository, PHAROS_DEFAULT_IMAGE_REPOSITORY);
        assert_null(d->pod_security);
        cfg_free(cfg);
}

static void dns_replicas_rule(void **s)
{
        (void)s;
        char text[4096] = "hosts:\n";
        for (int i = 0; i < 12; i++)
                snprintf(text + strlen(text), sizeof(text) - strlen(text),
                         "  - {address: 10.0.0.%d, role: %s}\n", i + 1, i ? "worker" : "master");
        struct cluster_config *cfg = load_ok(text, NULL);
        assert_int_equal(cfg->doc->network.dns_replicas, 3); /* 1 + ceil(12 / 10) */
        cfg_free(cfg);
}

/* `pharos config keys`: every core key documented, the new ones as validation takes them. */
static void key_reference(void **s)
{
        (void)s;
        char *text = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&text, &len);
        assert_non_null(f);
        assert_int_equal(cfg_keys_print(f, NULL), 0);
        fclose(f);
        static const char *const want[] = {
                "\nhosts[].private_interface: string\n    an interface whose first global IPv4",
                "\nnetwork.dns_replicas: integer, 1..1000\n",
                "\nnetwork.node_local_dns_cache: true or false, default false\n",
                "\npod_security.enforce: string, one of: privileged, baseline, restricted, "
                "default privileged\n",
                "\npod_security.exemptions.namespaces: list of strings, default [kube-system]\n",
                "\nhosts[].container_runtime: custom_docker\n    'custom_docker'",
                "\npod_security_policy\n    PodSecurityPolicy was removed",
        };
        for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
                if (!strstr(text, want[i]))
                        fprintf(stderr, "missing: %s\n", want[i]);
                assert_non_null(strstr(text, want[i]));
        }
        assert_null(strstr(text, "\npod_security_policy:"));
        free(text);
}

static void plugin_reads_its_section(void **s)
{
        (void)s;
        struct registry reg;
        struct pharos_error err = {0};
        registry_init(&reg);
        assert_int_equal(loader_load_file(&reg, FX("network-testnet"), &err), 0);
        struct pharos_plugin *p = reg.plugins[0];
        const struct pharos_host *h = host_services();
        assert_true(PHAROS_HOST_HAS(h, config_root));
        assert_null(h->config_section(p)); /* nothing loaded yet */
        assert_null(h->config_root(p));

        struct cluster_config *cfg = load_ok("hosts: [{address: 10.0.0.1, role: master}]\n"
                                             "network:\n"
                                             "  provider: testnet\n"
                                             "  testnet:\n"
                                             "    mode: routed\n"
                                             "    ratio: 0.5\n"
                                             "    known_peers: [a, b]\n"
                                             "    health: {endpoint: http://x}\n",
                                             &reg);
        host_services_set_config(cfg);
        const struct pharos_config_node *sec = h->config_section(p);
        assert_non_null(sec);
        assert_int_equal(h->config_kind(sec), PHAROS_CONFIG_MAP);
        assert_string_equal(h->config_string(h->config_get(sec, "mode")), "routed");
        int64_t mtu = 0;
        assert_int_equal(h->config_int(h->config_get(sec, "mtu"), &mtu), 0);
        assert_int_equal(mtu, 1500); /* the plugin's default */
        int enc = -1;
        assert_int_equal(h->config_bool(h->config_get(sec, "encrypt"), &enc), 0);
        assert_int_equal(enc, 0);
        double ratio = 0;
        assert_int_equal(h->config_double(h->config_get(sec, "ratio"), &ratio), 0);
        assert_true(ratio == 0.5);
        const struct pharos_config_node *peers = h->config_get(sec, "known_peers");
        assert_int_equal(h->config_kind(peers), PHAROS_CONFIG_LIST);
        assert_int_equal(h->config_len(peers), 2);
        assert_string_equal(h->config_string(h->config_at(peers, 1)), "b");
        assert_null(h->config_at(peers, 2));
        const struct pharos_config_node *health = h->config_get(sec, "health");
        assert_string_equal(h->config_key_at(health, 1), "interval");
        assert_int_equal(h->config_int(h->config_at(health, 1), &mtu), 0);
        assert_int_equal(mtu, 30);
        /* Wrong-type and NULL queries answer "absent". */
        assert_int_equal(h->config_int(h->config_get(sec, "mode"), &mtu), -1);
        assert_null(h->config_get(NULL, "x"));
        assert_null(h->config_string(peers));
        assert_int_equal(h->config_kind(NULL), PHAROS_CONFIG_NONE);
        assert_int_equal(h->config_len(NULL), 0);
        assert_null(h->config_key_at(peers, 0));

        const struct pharos_config_node *root = h->config_root(p);
        assert_string_equal(
                h->config_string(h->config_get(h->config_get(root, "network"), "pod_network_cidr")),
                "10.32.0.0/12");
        assert_ptr_equal(h->config_get(h->config_get(root, "network"), "testnet"), sec);

        host_services_set_config(NULL);
        assert_null(h->config_section(p));
        assert_null(h->config_root(p));
        cfg_free(cfg);
        registry_free(&reg);
}

/* Adds every path of the libcyaml schema under prefix to paths ('*' for list items). */
static void schema_paths(const cyaml_schema_value_t *v, const char *prefix, char (*paths)[128],
                         size_t *n)
{
        if (v->type == CYAML_SEQUENCE) {
                char p[128];
                snprintf(p, sizeof(p), "%s.*", prefix);
                snprintf(paths[(*n)++], 128, "%s", p);
                schema_paths(v->sequence.entry, p, paths, n);
                return;
        }
        if (v->type != CYAML_MAPPING)
                return;
        for (const cyaml_schema_field_t *f = v->mapping.fields; f->key; f++) {
                char p[128];
                snprintf(p, sizeof(p), "%s%s%s", prefix, *prefix ? "." : "", f->key);
                snprintf(paths[(*n)++], 128, "%s", p);
                schema_paths(&f->value, p, paths, n);
        }
}

/* Every side-table entry names a key of the schema: a typo would silently lose a default. */
static void side_table_matches_schema(void **s)
{
        (void)s;
        static char paths[512][128];
        size_t n = 0, n_extras = 0;
        schema_paths(&cfg_schema_root, "", paths, &n);
        assert_true(n > 100 && n < 512);
        const struct cfg_extra *x = cfg_extras(&n_extras);
        for (size_t i = 0; i < n_extras; i++) {
                size_t k = 0;
                while (k < n && strcmp(paths[k], x[i].path) != 0)
                        k++;
                if (k == n)
                        fail_msg("side-table path '%s' is not in the schema", x[i].path);
        }
}

static int no_init(const struct pharos_host *h, struct pharos_plugin *self, void **state)
{
        (void)h;
        (void)self;
        (void)state;
        return 0;
}

/* A schema struct smaller than any pharos knows is refused, located at the section. */
static void unreadable_plugin_schema(void **s)
{
        (void)s;
        static const struct pharos_config_field fields[] = {{.key = NULL}};
        static const struct pharos_config_schema tiny = {.struct_size = 4, .fields = fields};
        static const struct pharos_plugin_desc desc = {
                PHAROS_PLUGIN_DESC_HEADER, .kind = PHAROS_KIND_ADDON,
                .name = "addon-tiny",      .version = "1",
                .description = "test",     .config_section = "addons.tiny",
                .config_schema = &tiny,    .init = no_init,
        };
        struct registry reg;
        struct pharos_error err = {0};
        registry_init(&reg);
        struct pharos_plugin *p = calloc(1, sizeof(*p));
        assert_non_null(p);
        p->origin = strdup("builtin");
        p->desc = desc;
        assert_int_equal(registry_add(&reg, p, host_services(), &err), 0);
        const char *text = "hosts: [{address: 10.0.0.1, role: master}]\n"
                           "addons:\n"
                           "  tiny: {enabled: true}\n";
        struct cfg_diags d = {0};
        struct cluster_config *cfg = NULL;
        assert_int_equal(cfg_load_buffer(text, strlen(text), "t", &reg, &cfg, &d, &err),
                         PERR_USAGE);
        assert_int_equal(d.n, 1);
        assert_int_equal(d.v[0].line, 3);
        assert_int_equal(d.v[0].col, 3);
        assert_string_equal(d.v[0].msg, "addons.tiny: plugin 'addon-tiny' declares a schema this "
                                        "pharos cannot read (struct_size 4)");
        cfg_diag_free(&d);
        registry_free(&reg);
}

static void substitution(void **s)
{
        (void)s;
        struct cfg_subst_error e;
        char *out = NULL;
        setenv("CFGT_A", "alpha", 1);
        setenv("CFGT_EMPTY", "", 1);
        unsetenv("CFGT_UNSET");
        assert_int_equal(
                cfg_envsubst("x-${CFGT_A}-${CFGT_UNSET:-d}-${CFGT_EMPTY:-e}$${K}", &out, &e), 0);
        assert_string_equal(out, "x-alpha-d-e${K}");
        free(out);
        assert_int_equal(cfg_envsubst("plain $ text", &out, &e), 1);
        assert_string_equal(out, "plain $ text");
        free(out);
        assert_int_equal(cfg_envsubst("ab${CFGT_UNSET}", &out, &e), -1);
        assert_int_equal(e.offset, 2);
        assert_non_null(strstr(e.msg, "'CFGT_UNSET' is not set"));
}

static void suggestions(void **s)
{
        (void)s;
        assert_int_equal(cfg_edit_distance("adress", "address", 3), 1);
        assert_int_equal(cfg_edit_distance("nmae", "name", 3), 1);
        assert_true(cfg_is_close("provder", "provider"));
        assert_true(cfg_is_close("nmae", "name"));
        assert_false(cfg_is_close("telemetry", "kubelet"));
        assert_false(cfg_is_close("ab", "ac")); /* too short to guess */
}

static void many_errors_are_capped(void **s)
{
        (void)s;
        size_t cap = 300 * 40 + 16;
        char *text = malloc(cap);
        assert_non_null(text);
        strcpy(text, "hosts:\n");
        for (int i = 0; i < 300; i++)
                snprintf(text + strlen(text), cap - strlen(text),
                         "  - {address: node-%d, role: boss}\n", i);
        struct cfg_diags d = {0};
        struct pharos_error err = {0};
        struct cluster_config *cfg = NULL;
        assert_int_equal(cfg_load_buffer(text, strlen(text), "t", NULL, &cfg, &d, &err),
                         PERR_USAGE);
        assert_null(cfg);
        assert_int_equal(d.n_errors, 300);
        assert_int_equal(d.n, CFG_MAX_DIAGS);
        assert_int_equal(d.dropped, 300 - CFG_MAX_DIAGS);
        assert_string_equal(err.msg, "t: 300 errors in the configuration");
        cfg_diag_free(&d);
        free(text);
}

/* Aliases of one big scalar: few values, many bytes. The text budget refuses the copy
 * that would pass 16 MiB, before it is made. */
static void alias_text_budget(void **s)
{
        (void)s;
        size_t scalar = 64 * 1024, aliases = 300;
        size_t cap = scalar + aliases * 4 + 64;
        char *doc = malloc(cap);
        assert_non_null(doc);
        size_t n = (size_t)snprintf(doc, cap, "big: &a ");
        memset(doc + n, 'x', scalar);
        n += scalar;
        n += (size_t)snprintf(doc + n, cap - n, "\ncopies: [");
        for (size_t i = 0; i < aliases; i++)
                n += (size_t)snprintf(doc + n, cap - n, "%s*a", i ? "," : "");
        n += (size_t)snprintf(doc + n, cap - n, "]\n");
        struct cfg_diags d = {0};
        cfg_node *root = NULL;
        assert_int_equal(cfg_parse(doc, n, &root, &d), -1);
        assert_null(root);
        assert_int_equal(d.n, 1);
        /* 16 MiB is 256 scalars of 64 KiB; with the keys' 9 bytes the scalar and 254
         * copies fit, the 255th alias does not. */
        assert_int_equal(d.v[0].line, 2);
        assert_int_equal(d.v[0].col, 10 + 3 * 254);
        assert_string_equal(d.v[0].msg, "alias expansion exceeds 16 MiB of text (alias bomb?)");
        cfg_diag_free(&d);
        free(doc);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(typed_hosts_and_defaults),
                cmocka_unit_test(dns_replicas_rule),
                cmocka_unit_test(key_reference),
                cmocka_unit_test(plugin_reads_its_section),
                cmocka_unit_test(side_table_matches_schema),
                cmocka_unit_test(unreadable_plugin_schema),
                cmocka_unit_test(substitution),
                cmocka_unit_test(suggestions),
                cmocka_unit_test(many_errors_are_capped),
                cmocka_unit_test(alias_text_budget),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
