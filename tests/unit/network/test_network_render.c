/* network-calico and network-custom: templates, the calico stack, custom manifest files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "calico_render.h"
#include "custom_files.h"
#include "kube/json.h"
#include "kube/yaml_json.h"
#include "template.h"

/* ---- template ---- */

static void template_substitutes(void **s)
{
        (void)s;
        const struct tmpl_var vars[] = {
                {"a", "x\"y\\z", TMPL_QUOTED},
                {"b.c", "raw: 1", TMPL_RAW},
        };
        struct tmpl_error err;
        char *out = tmpl_render("k: \"${a}\"\n${b.c}\ncost: $5 $${HOME} $$x\n", vars, 2, &err);
        assert_non_null(out);
        assert_string_equal(out, "k: \"x\\\"y\\\\z\"\nraw: 1\ncost: $5 ${HOME} $$x\n");
        free(out);
}

static void template_errors_name_the_line(void **s)
{
        (void)s;
        const struct tmpl_var vars[] = {{"known", "v", TMPL_RAW}, {"nul", NULL, TMPL_RAW}};
        struct tmpl_error err;
        assert_null(tmpl_render("a: ${known}\n\nb: ${unknown}\n", vars, 2, &err));
        assert_int_equal(err.line, 3);
        assert_string_equal(err.name, "unknown");
        assert_string_equal(err.what, "is not a known variable");

        assert_null(tmpl_render("x\n${1abc}\n", vars, 2, &err));
        assert_int_equal(err.line, 2);
        assert_string_equal(err.name, "1abc");
        assert_non_null(strstr(err.what, "$${"));

        assert_null(tmpl_render("${known", vars, 2, &err));
        assert_int_equal(err.line, 1);

        /* A variable without a value: cluster_name when cluster.yml has no name. */
        assert_null(tmpl_render("${nul}", vars, 2, &err));
        assert_string_equal(err.name, "nul");
        assert_string_equal(err.what, "has no value in this cluster");

        const struct tmpl_var ctl[] = {{"v", "a\nb", TMPL_QUOTED}};
        assert_null(tmpl_render("\"${v}\"", ctl, 1, &err));
        assert_non_null(strstr(err.what, "control character"));
}

/* ---- calico ---- */

static char *slurp(const char *path)
{
        FILE *f = fopen(path, "rb");
        assert_non_null(f);
        fseek(f, 0, SEEK_END);
        long n = ftell(f);
        fseek(f, 0, SEEK_SET);
        char *s = malloc((size_t)n + 1);
        assert_non_null(s);
        assert_int_equal(fread(s, 1, (size_t)n, f), (size_t)n);
        s[n] = '\0';
        fclose(f);
        return s;
}

struct stack {
        struct json_docs docs;
        yajl_val *v;
};

static void stack_parse(const char *yaml, struct stack *st)
{
        struct pharos_error err = {0};
        if (yaml_to_json(yaml, strlen(yaml), "calico", &st->docs, &err) < 0)
                fail_msg("the stack does not parse: %s", err.msg);
        st->v = calloc(st->docs.n, sizeof(*st->v));
        for (size_t i = 0; i < st->docs.n; i++) {
                char msg[128];
                st->v[i] = json_parse(st->docs.json[i], msg, sizeof(msg));
                assert_non_null(st->v[i]);
        }
}

static void stack_free(struct stack *st)
{
        for (size_t i = 0; i < st->docs.n; i++)
                yajl_tree_free(st->v[i]);
        free(st->v);
        json_docs_free(&st->docs);
}

static yajl_val find(const struct stack *st, const char *kind, const char *name)
{
        for (size_t i = 0; i < st->docs.n; i++)
                if (!strcmp(json_get_str(st->v[i], "kind"), kind) &&
                    !strcmp(json_get_str(st->v[i], "metadata.name"), name))
                        return st->v[i];
        fail_msg("no %s %s in the stack", kind, name);
        return NULL;
}

static yajl_val container(yajl_val workload, const char *list, const char *name)
{
        char path[64];
        snprintf(path, sizeof(path), "spec.template.spec.%s", list);
        yajl_val cs = json_get(workload, path);
        assert_true(YAJL_IS_ARRAY(cs));
        for (size_t i = 0; i < cs->u.array.len; i++)
                if (!strcmp(json_get_str(cs->u.array.values[i], "name"), name))
                        return cs->u.array.values[i];
        fail_msg("no container %s", name);
        return NULL;
}

/* The value of env var name in container c; "" when it has valueFrom; fails when absent. */
static const char *env_of(yajl_val c, const char *name, int *count)
{
        yajl_val env = json_get(c, "env");
        const char *found = NULL;
        *count = 0;
        for (size_t i = 0; YAJL_IS_ARRAY(env) && i < env->u.array.len; i++) {
                yajl_val e = env->u.array.values[i];
                if (strcmp(json_get_str(e, "name"), name) != 0)
                        continue;
                (*count)++;
                found = json_get_str(e, "value");
                if (!found)
                        found = "";
        }
        return found;
}

static const char *node_env(const struct stack *st, const char *name)
{
        int count;
        const char *v =
                env_of(container(find(st, "DaemonSet", "calico-node"), "containers", "calico-node"),
                       name, &count);
        if (count != 1)
                fail_msg("calico-node has %s %d times", name, count);
        return v;
}

static const struct calico_opts base_opts = {
        .pool_cidr = "10.32.0.0/12",
        .ipip_mode = "Always",
        .nat_outgoing = 1,
        .mtu = 1500,
        .image_repository = "docker.io/calico",
        .version = "3.29.4",
        .autodetect = "10.0.0.1",
};

static char *render(const struct calico_opts *o, struct tmpl_error *err)
{
        char *crds = slurp(CALICO_MANIFESTS "/crds.yml");
        char *tmpl = slurp(CALICO_MANIFESTS "/calico.yml");
        char *yaml = calico_render(crds, tmpl, o, err);
        free(crds);
        free(tmpl);
        return yaml;
}

static void calico_defaults(void **s)
{
        (void)s;
        struct tmpl_error err;
        char *yaml = render(&base_opts, &err);
        assert_non_null(yaml);
        struct stack st;
        stack_parse(yaml, &st);
        assert_string_equal(node_env(&st, "CALICO_IPV4POOL_CIDR"), "10.32.0.0/12");
        assert_string_equal(node_env(&st, "CALICO_IPV4POOL_IPIP"), "Always");
        assert_string_equal(node_env(&st, "CALICO_IPV4POOL_NAT_OUTGOING"), "true");
        assert_string_equal(node_env(&st, "IP_AUTODETECTION_METHOD"), "can-reach=10.0.0.1");
        assert_string_equal(node_env(&st, "FELIX_IPINIPMTU"), "1480");
        assert_string_equal(node_env(&st, "NODENAME"), "");
        assert_null(json_get(
                container(find(&st, "DaemonSet", "calico-node"), "containers", "calico-node"),
                "ports"));
        yajl_val cm = find(&st, "ConfigMap", "calico-config");
        assert_string_equal(json_get_str(cm, "data.veth_mtu"), "1480");
        int count;
        yajl_val ds = find(&st, "DaemonSet", "calico-node");
        assert_string_equal(
                env_of(container(ds, "initContainers", "install-cni"), "CNI_MTU", &count), "1480");
        assert_string_equal(json_get_str(container(ds, "containers", "calico-node"), "image"),
                            "docker.io/calico/node:v3.29.4");
        assert_string_equal(json_get_str(container(ds, "initContainers", "install-cni"), "image"),
                            "docker.io/calico/cni:v3.29.4");
        yajl_val kc = find(&st, "Deployment", "calico-kube-controllers");
        assert_string_equal(
                json_get_str(container(kc, "containers", "calico-kube-controllers"), "image"),
                "docker.io/calico/kube-controllers:v3.29.4");
        yajl_val pool = find(&st, "IPPool", "default-ipv4-ippool");
        assert_string_equal(json_get_str(pool, "spec.cidr"), "10.32.0.0/12");
        assert_string_equal(json_get_str(pool, "spec.ipipMode"), "Always");
        assert_true(YAJL_IS_TRUE(json_get(pool, "spec.natOutgoing")));
        stack_free(&st);
        free(yaml);
}

static void calico_options(void **s)
{
        (void)s;
        const struct calico_env env[] = {
                {"FELIX_LOGSEVERITYSCREEN", "debug"},
                {"FELIX_IPINIPMTU", "1400"},
                {"WEIRD", "a \"quoted\" \\ value: [x]"},
        };
        struct calico_opts o = base_opts;
        o.ipip_mode = "Never";
        o.nat_outgoing = 0;
        o.mtu = 9000;
        o.image_repository = "registry.example.com/mirror/calico";
        o.version = "3.28.2";
        o.pool_cidr = "192.168.0.0/16";
        o.env = env;
        o.n_env = 3;
        struct tmpl_error err;
        char *yaml = render(&o, &err);
        assert_non_null(yaml);
        struct stack st;
        stack_parse(yaml, &st);
        assert_string_equal(node_env(&st, "CALICO_IPV4POOL_IPIP"), "Never");
        assert_string_equal(node_env(&st, "CALICO_IPV4POOL_NAT_OUTGOING"), "false");
        assert_string_equal(node_env(&st, "CALICO_IPV4POOL_CIDR"), "192.168.0.0/16");
        /* No IPIP: the pods get the whole host MTU; the user's tunnel MTU wins. */
        assert_string_equal(json_get_str(find(&st, "ConfigMap", "calico-config"), "data.veth_mtu"),
                            "9000");
        assert_string_equal(node_env(&st, "FELIX_VXLANMTU"), "9000");
        assert_string_equal(node_env(&st, "FELIX_IPINIPMTU"), "1400");
        assert_string_equal(node_env(&st, "FELIX_LOGSEVERITYSCREEN"), "debug");
        assert_string_equal(node_env(&st, "WEIRD"), "a \"quoted\" \\ value: [x]");
        yajl_val pool = find(&st, "IPPool", "default-ipv4-ippool");
        assert_string_equal(json_get_str(pool, "spec.ipipMode"), "Never");
        assert_true(YAJL_IS_FALSE(json_get(pool, "spec.natOutgoing")));
        assert_string_equal(json_get_str(container(find(&st, "DaemonSet", "calico-node"),
                                                   "containers", "calico-node"),
                                         "image"),
                            "registry.example.com/mirror/calico/node:v3.28.2");
        stack_free(&st);
        free(yaml);

        o.ipip_mode = "CrossSubnet";
        o.n_env = 0;
        yaml = render(&o, &err);
        stack_parse(yaml, &st);
        assert_string_equal(node_env(&st, "CALICO_IPV4POOL_IPIP"), "CrossSubnet");
        assert_string_equal(node_env(&st, "FELIX_IPINIPMTU"), "8980");
        stack_free(&st);
        free(yaml);

        /* Felix' metrics port is exposed when the environment turns metrics on. */
        const struct calico_env metrics[] = {{"FELIX_PROMETHEUSMETRICSENABLED", "True"},
                                             {"FELIX_PROMETHEUSMETRICSPORT", "9100"}};
        o.env = metrics;
        o.n_env = 2;
        yaml = render(&o, &err);
        stack_parse(yaml, &st);
        yajl_val node =
                container(find(&st, "DaemonSet", "calico-node"), "containers", "calico-node");
        yajl_val ports = json_get(node, "ports");
        assert_true(YAJL_IS_ARRAY(ports));
        assert_int_equal(ports->u.array.len, 1);
        assert_int_equal(YAJL_GET_INTEGER(json_get(ports->u.array.values[0], "containerPort")),
                         9100);
        stack_free(&st);
        free(yaml);
        o.n_env = 1;
        yaml = render(&o, &err);
        stack_parse(yaml, &st);
        node = container(find(&st, "DaemonSet", "calico-node"), "containers", "calico-node");
        assert_int_equal(YAJL_GET_INTEGER(json_get(json_get(node, "ports")->u.array.values[0],
                                                   "containerPort")),
                         9091);
        stack_free(&st);
        free(yaml);
        const struct calico_env bad_port[] = {{"FELIX_PROMETHEUSMETRICSENABLED", "true"},
                                              {"FELIX_PROMETHEUSMETRICSPORT", "http"}};
        o.env = bad_port;
        o.n_env = 2;
        assert_null(render(&o, &err));
        assert_non_null(strstr(err.what, "FELIX_PROMETHEUSMETRICSPORT"));

        const struct calico_env bad[] = {{"X", "line\nbreak"}};
        o.env = bad;
        o.n_env = 1;
        assert_null(render(&o, &err));
        assert_int_equal(err.line, 0);
        assert_non_null(strstr(err.what, "environment"));
}

static void calico_env_names(void **s)
{
        (void)s;
        char why[160];
        assert_int_equal(calico_env_name_ok("FELIX_PROMETHEUSMETRICSENABLED", why, sizeof(why)), 0);
        assert_int_equal(calico_env_name_ok("_x1", why, sizeof(why)), 0);
        assert_int_equal(calico_env_name_ok("NODENAME", why, sizeof(why)), -1);
        assert_non_null(strstr(why, "node's name"));
        assert_int_equal(calico_env_name_ok("1ABC", why, sizeof(why)), -1);
        assert_int_equal(calico_env_name_ok("A-B", why, sizeof(why)), -1);
        assert_non_null(strstr(why, "A-B"));
}

/* True when the array of strings holds s. */
static int has(yajl_val list, const char *s)
{
        for (size_t k = 0; YAJL_IS_ARRAY(list) && k < list->u.array.len; k++) {
                const char *item = YAJL_GET_STRING(list->u.array.values[k]);
                if (item && !strcmp(item, s))
                        return 1;
        }
        return 0;
}

/* Every CRD is well formed, and some Calico component reads each (no stray plural). */
static void calico_crds_and_rbac(void **s)
{
        (void)s;
        struct tmpl_error err;
        char *yaml = render(&base_opts, &err);
        struct stack st;
        stack_parse(yaml, &st);
        yajl_val roles[] = {find(&st, "ClusterRole", "calico-node"),
                            find(&st, "ClusterRole", "calico-cni-plugin"),
                            find(&st, "ClusterRole", "calico-kube-controllers")};
        size_t n_crds = 0;
        for (size_t i = 0; i < st.docs.n; i++) {
                yajl_val d = st.v[i];
                if (strcmp(json_get_str(d, "kind"), "CustomResourceDefinition") != 0)
                        continue;
                n_crds++;
                const char *group = json_get_str(d, "spec.group");
                const char *plural = json_get_str(d, "spec.names.plural");
                char want[160];
                snprintf(want, sizeof(want), "%s.%s", plural, group);
                assert_string_equal(json_get_str(d, "metadata.name"), want);
                yajl_val versions = json_get(d, "spec.versions");
                assert_int_equal(versions->u.array.len, 1);
                assert_non_null(json_get(versions->u.array.values[0], "schema.openAPIV3Schema"));
                int readable = 0;
                for (size_t k = 0; k < 3; k++) {
                        yajl_val rules = json_get(roles[k], "rules");
                        for (size_t r = 0; r < rules->u.array.len; r++) {
                                yajl_val rule = rules->u.array.values[r];
                                yajl_val verbs = json_get(rule, "verbs");
                                readable |= has(json_get(rule, "apiGroups"), group) &&
                                            has(json_get(rule, "resources"), plural) &&
                                            (has(verbs, "get") || has(verbs, "watch"));
                        }
                }
                if (!readable)
                        fail_msg("no Calico component may read %s", want);
        }
        assert_int_equal(n_crds, 21);
        /* The CRDs come first: the pool needs its kind. */
        assert_string_equal(json_get_str(st.v[0], "kind"), "CustomResourceDefinition");
        stack_free(&st);
        free(yaml);
}

/* ---- custom ---- */

static char dir[64];

static void write_file(const char *name, const char *text)
{
        char path[256];
        snprintf(path, sizeof(path), "%s/%s", dir, name);
        FILE *f = fopen(path, "w");
        assert_non_null(f);
        fputs(text, f);
        fclose(f);
}

static int make_dir(void **s)
{
        (void)s;
        snprintf(dir, sizeof(dir), "/tmp/pharos-net-test.XXXXXX");
        return mkdtemp(dir) ? 0 : -1;
}

static int remove_dir(void **s)
{
        (void)s;
        char cmd[128];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
        return system(cmd) == 0 ? 0 : -1;
}

static void custom_directory(void **s)
{
        (void)s;
        char why[512], sub[128];
        snprintf(sub, sizeof(sub), "%s/net", dir);
        assert_int_equal(mkdir(sub, 0755), 0);
        struct custom_set set;
        assert_int_equal(custom_read("net", dir, &set, why, sizeof(why)), -1);
        assert_non_null(strstr(why, "no *.yml or *.yaml"));

        write_file("net/b.yaml", "kind: B\ncidr: ${pod_network_cidr}");
        write_file("net/a.yml", "kind: A\n");
        write_file("net/notes.txt", "${ignored}");
        write_file("net/.hidden.yml", "${ignored}");
        assert_int_equal(custom_read("net", dir, &set, why, sizeof(why)), 0);
        assert_int_equal(set.n, 2);
        assert_non_null(strstr(set.files[0].path, "/net/a.yml"));
        assert_non_null(strstr(set.files[1].path, "/net/b.yaml"));
        const struct tmpl_var vars[] = {{"pod_network_cidr", "10.32.0.0/12", TMPL_RAW}};
        char *yaml = custom_render(&set, vars, 1, why, sizeof(why));
        assert_non_null(yaml);
        assert_string_equal(yaml, "\n---\nkind: A\n\n---\nkind: B\ncidr: 10.32.0.0/12");
        struct json_docs d;
        struct pharos_error err = {0};
        assert_int_equal(yaml_to_json(yaml, strlen(yaml), "custom", &d, &err), 0);
        assert_int_equal(d.n, 2);
        json_docs_free(&d);
        free(yaml);
        custom_free(&set);

        /* An unknown variable names its file and line. */
        write_file("net/c.yml", "kind: C\nspec:\n  x: ${pod_network_cdir}\n");
        assert_int_equal(custom_read("net", dir, &set, why, sizeof(why)), 0);
        assert_null(custom_render(&set, vars, 1, why, sizeof(why)));
        char want[256];
        snprintf(want, sizeof(want), "%s/net/c.yml:3: ${pod_network_cdir} is not a known variable",
                 dir);
        assert_string_equal(why, want);
        custom_free(&set);

        /* So does a YAML mistake, counted in the file, not in the stack. */
        write_file("net/c.yml", "kind: C\nspec:\n  x: [1, 2\n");
        assert_int_equal(custom_read("net", dir, &set, why, sizeof(why)), 0);
        assert_null(custom_render(&set, vars, 1, why, sizeof(why)));
        snprintf(want, sizeof(want), "%s/net/c.yml:4:", dir);
        if (strncmp(why, want, strlen(want)) != 0)
                fail_msg("expected %s..., got %s", want, why);
        custom_free(&set);
}

static void custom_single_file(void **s)
{
        (void)s;
        char why[512], abs[128];
        write_file("one.yaml", "kind: One\n");
        struct custom_set set;
        /* Relative paths are from base_dir, absolute ones as they are. */
        assert_int_equal(custom_read("one.yaml", dir, &set, why, sizeof(why)), 0);
        assert_int_equal(set.n, 1);
        assert_string_equal(set.files[0].text, "kind: One\n");
        custom_free(&set);
        snprintf(abs, sizeof(abs), "%s/one.yaml", dir);
        assert_int_equal(custom_read(abs, "/nonexistent", &set, why, sizeof(why)), 0);
        custom_free(&set);
        assert_int_equal(custom_read("missing.yml", dir, &set, why, sizeof(why)), -1);
        assert_non_null(strstr(why, "missing.yml: No such file or directory"));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(template_substitutes),
                cmocka_unit_test(template_errors_name_the_line),
                cmocka_unit_test(calico_defaults),
                cmocka_unit_test(calico_options),
                cmocka_unit_test(calico_env_names),
                cmocka_unit_test(calico_crds_and_rbac),
                cmocka_unit_test_setup_teardown(custom_directory, make_dir, remove_dir),
                cmocka_unit_test_setup_teardown(custom_single_file, make_dir, remove_dir),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
