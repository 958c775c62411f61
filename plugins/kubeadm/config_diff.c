/*
 * What a change of kubeadm.yaml means for a running control plane: which of
 * its parts differ between the configuration in effect and the new one. Works
 * on the text render.c writes (documents split by "---", one `kind:` line
 * each, top-level keys at column 0, nested lines indented).
 */
#include <stdio.h>
#include <string.h>

#include "kadm.h"

struct span {
        const char *p;
        size_t n;
};

static const char *line_end(const char *p, const char *end)
{
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        return nl ? nl + 1 : end;
}

static int starts(const char *p, const char *end, const char *prefix)
{
        size_t n = strlen(prefix);
        return (size_t)(end - p) >= n && memcmp(p, prefix, n) == 0;
}

/* The document of text whose kind is `kind` (empty span when none). */
static struct span document(const char *text, const char *kind)
{
        const char *end = text + strlen(text);
        char want[80];
        size_t wn = (size_t)snprintf(want, sizeof(want), "kind: %s\n", kind);
        const char *doc = text;
        struct span found = {NULL, 0};
        for (const char *p = text; p < end;) {
                const char *next = line_end(p, end);
                int sep = starts(p, end, "---\n");
                if (!found.p && (size_t)(next - p) == wn && memcmp(p, want, wn) == 0)
                        found.p = doc;
                if (sep || next == end) {
                        if (found.p) {
                                found.n = (size_t)((sep ? p : end) - found.p);
                                return found;
                        }
                        doc = next;
                }
                p = next;
        }
        return found;
}

/* The lines of block `key` in s at `indent` spaces: its key line and the
 * deeper-indented or list lines after it. */
static struct span block(struct span s, const char *key, int indent)
{
        if (!s.p)
                return s;
        const char *end = s.p + s.n;
        char want[80];
        snprintf(want, sizeof(want), "%*s%s:", indent, "", key);
        for (const char *p = s.p; p < end; p = line_end(p, end)) {
                if (!starts(p, end, want))
                        continue;
                const char *q = line_end(p, end);
                while (q < end) {
                        size_t lead = 0;
                        while (q + lead < end && q[lead] == ' ')
                                lead++;
                        int deeper = (int)lead > indent ||
                                     ((int)lead == indent && q + lead < end && q[lead] == '-');
                        if (!deeper)
                                break;
                        q = line_end(q, end);
                }
                return (struct span){p, (size_t)(q - p)};
        }
        return (struct span){NULL, 0};
}

static int same(struct span a, struct span b)
{
        if (a.n != b.n)
                return 0;
        if (a.n == 0 || !a.p || !b.p)
                return a.n == 0 || a.p == b.p;
        return memcmp(a.p, b.p, a.n) == 0;
}

/* s without the lines of `cut` (a span inside s) compared with t without its `tcut`. */
static int same_without(struct span s, struct span cut, struct span t, struct span tcut)
{
        struct span s1 = {s.p, cut.p ? (size_t)(cut.p - s.p) : s.n};
        struct span s2 = {cut.p ? cut.p + cut.n : NULL, cut.p ? s.n - s1.n - cut.n : 0};
        struct span t1 = {t.p, tcut.p ? (size_t)(tcut.p - t.p) : t.n};
        struct span t2 = {tcut.p ? tcut.p + tcut.n : NULL, tcut.p ? t.n - t1.n - tcut.n : 0};
        return same(s1, t1) && same(s2, t2);
}

size_t kadm_config_document(const char *text, const char *kind, const char **start)
{
        struct span d = document(text, kind);
        *start = d.p;
        return d.n;
}

unsigned kadm_config_changes(const char *old_text, const char *new_text)
{
        unsigned ch = 0;
        struct span oc = document(old_text, "ClusterConfiguration");
        struct span nc = document(new_text, "ClusterConfiguration");
        if (!same(oc, nc))
                ch |= KADM_CH_CLUSTER;
        struct span oa = block(oc, "apiServer", 0), na = block(nc, "apiServer", 0);
        struct span osans = block(oa, "certSANs", 2), nsans = block(na, "certSANs", 2);
        if (!same(osans, nsans) ||
            !same(block(oc, "controlPlaneEndpoint", 0), block(nc, "controlPlaneEndpoint", 0)))
                ch |= KADM_CH_SANS;
        if (!same_without(oa, osans, na, nsans))
                ch |= KADM_CH_APISERVER;
        if (!same(block(oc, "controllerManager", 0), block(nc, "controllerManager", 0)))
                ch |= KADM_CH_CONTROLLER;
        if (!same(block(oc, "scheduler", 0), block(nc, "scheduler", 0)))
                ch |= KADM_CH_SCHEDULER;
        if (!same(document(old_text, "KubeletConfiguration"),
                  document(new_text, "KubeletConfiguration")))
                ch |= KADM_CH_KUBELET;
        if (!same(document(old_text, "KubeProxyConfiguration"),
                  document(new_text, "KubeProxyConfiguration")))
                ch |= KADM_CH_PROXY;
        return ch;
}
