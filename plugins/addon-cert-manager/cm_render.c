#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addon-cert-manager_scripts.h"
#include "addon.h"
#include "cm_render.h"

char *cm_render(const struct cm_opts *o, char *bad, size_t bad_size)
{
        static const char *const base[] = {
                "--v=2",
                "--cluster-resource-namespace=$(POD_NAMESPACE)",
                "--leader-election-namespace=kube-system",
                "--max-concurrent-challenges=60",
        };
        const char *repo = o->repository ? o->repository : CM_REPOSITORY;
        struct abuf args, prefix, all;
        abuf_init(&args);
        abuf_init(&prefix);
        abuf_init(&all);
        abuf_puts(&args, "[");
        for (size_t i = 0; i < sizeof(base) / sizeof(base[0]); i++) {
                abuf_puts(&args, i ? ", " : "");
                abuf_json_str(&args, base[i]);
        }
        struct abuf solver;
        abuf_init(&solver);
        abuf_printf(&solver, "--acme-http01-solver-image=%s/cert-manager-acmesolver:%s", repo,
                    CM_VERSION);
        abuf_puts(&args, ", ");
        abuf_json_str(&args, solver.ok ? solver.s : "");
        args.ok &= solver.ok;
        abuf_free(&solver);
        for (size_t i = 0; i < o->n_extra_args; i++) {
                abuf_puts(&args, ", ");
                abuf_json_str(&args, o->extra_args[i]);
        }
        abuf_puts(&args, "]");
        /* The image text goes between the template's own characters, so it
         * must need no quoting: registry names never do. */
        abuf_printf(&prefix, "%s/", repo);
        for (const char *p = repo; *p; p++)
                if (!isalnum((unsigned char)*p) && !strchr("._/:-", *p))
                        prefix.ok = 0;
        char *out = NULL;
        if (args.ok && prefix.ok) {
                const struct addon_var vars[] = {
                        {"IMAGE_PREFIX", prefix.s},
                        {"VERSION", CM_VERSION},
                        {"CONTROLLER_ARGS", args.s},
                };
                char *body = addon_render(script_cert_manager_yml, vars, 3, bad, bad_size);
                if (body) {
                        abuf_puts(&all, script_crds_yml);
                        abuf_puts(&all, "---\n");
                        abuf_puts(&all, body);
                        out = abuf_take(&all);
                }
                free(body);
        } else {
                snprintf(bad, bad_size, prefix.ok ? "out of memory" : "repository");
        }
        abuf_free(&args);
        abuf_free(&prefix);
        abuf_free(&all);
        return out;
}

static void doc(struct abuf *b, const char *kind, const char *name, const char *ns,
                const char *spec)
{
        if (b->len)
                abuf_puts(b, "---\n");
        abuf_printf(b, "apiVersion: cert-manager.io/v1\nkind: %s\nmetadata:\n  name: ", kind);
        abuf_json_str(b, name);
        abuf_puts(b, "\n");
        if (ns) {
                abuf_puts(b, "  namespace: ");
                abuf_json_str(b, ns);
                abuf_puts(b, "\n");
        }
        abuf_printf(b, "spec: %s\n", spec);
}

char *cm_render_issuers(const struct cm_issuer *issuers, size_t n, const char *ca_name)
{
        struct abuf b;
        abuf_init(&b);
        for (size_t i = 0; i < n; i++) {
                int cluster = !issuers[i].kind || strcmp(issuers[i].kind, "Issuer") != 0;
                doc(&b, cluster ? "ClusterIssuer" : "Issuer", issuers[i].name,
                    cluster ? NULL : (issuers[i].namespace ? issuers[i].namespace : "default"),
                    issuers[i].spec);
        }
        if (ca_name) {
                /* cert-manager's CA bootstrap: a self-signed issuer signs the
                 * root, whose secret (in cert-manager's namespace, where
                 * ClusterIssuers read secrets) backs the CA issuer. */
                doc(&b, "ClusterIssuer", "pharos-selfsigned", NULL, "{\"selfSigned\": {}}");
                struct abuf spec;
                abuf_init(&spec);
                abuf_puts(&spec, "{\"isCA\": true, \"commonName\": ");
                abuf_json_str(&spec, ca_name);
                abuf_puts(&spec, ", \"secretName\": ");
                abuf_json_str(&spec, ca_name);
                abuf_puts(&spec, ", \"duration\": \"87600h\", \"privateKey\": {\"algorithm\": "
                                 "\"ECDSA\", \"size\": 256}, \"issuerRef\": {\"name\": "
                                 "\"pharos-selfsigned\", \"kind\": \"ClusterIssuer\", \"group\": "
                                 "\"cert-manager.io\"}}");
                doc(&b, "Certificate", ca_name, "cert-manager", spec.ok ? spec.s : "{}");
                b.ok &= spec.ok;
                abuf_free(&spec);
                struct abuf ca;
                abuf_init(&ca);
                abuf_puts(&ca, "{\"ca\": {\"secretName\": ");
                abuf_json_str(&ca, ca_name);
                abuf_puts(&ca, "}}");
                doc(&b, "ClusterIssuer", ca_name, NULL, ca.ok ? ca.s : "{}");
                b.ok &= ca.ok;
                abuf_free(&ca);
        }
        return abuf_take(&b);
}
