#include <stdio.h>
#include <string.h>

#include "cli/host_filter.h"

int hf_add_label(struct host_filter *f, const char *kv, struct pharos_error *err)
{
        const char *eq = strchr(kv, '=');
        if (!eq || eq == kv)
                return perr_set(err, PERR_USAGE, "label filter '%s' is not KEY=VALUE", kv);
        if (f->n_labels == HF_MAX)
                return perr_set(err, PERR_USAGE, "at most %d label filters", HF_MAX);
        f->labels[f->n_labels++] = kv;
        return 0;
}

int hf_add_address(struct host_filter *f, const char *address, struct pharos_error *err)
{
        if (!*address)
                return perr_set(err, PERR_USAGE, "empty address filter");
        if (f->n_addresses == HF_MAX)
                return perr_set(err, PERR_USAGE, "at most %d address filters", HF_MAX);
        f->addresses[f->n_addresses++] = address;
        return 0;
}

static int has_label(const struct cfg_host *h, const char *kv)
{
        size_t klen = (size_t)(strchr(kv, '=') - kv);
        const char *value = kv + klen + 1;
        for (size_t i = 0; i < h->n_labels; i++)
                if (strlen(h->labels[i].key) == klen && strncmp(h->labels[i].key, kv, klen) == 0 &&
                    strcmp(h->labels[i].value ? h->labels[i].value : "", value) == 0)
                        return 1;
        return 0;
}

int hf_match(const struct host_filter *f, const struct cfg_host *h)
{
        if (f->role && (!h->role || strcmp(f->role, h->role) != 0))
                return 0;
        for (size_t i = 0; i < f->n_labels; i++)
                if (!has_label(h, f->labels[i]))
                        return 0;
        if (f->n_addresses == 0)
                return 1;
        for (size_t i = 0; i < f->n_addresses; i++)
                if (strcmp(h->address, f->addresses[i]) == 0 ||
                    (h->private_address && strcmp(h->private_address, f->addresses[i]) == 0))
                        return 1;
        return 0;
}

size_t hf_select(const struct host_filter *f, const struct cfg_host *hosts, size_t n, size_t *idx)
{
        size_t k = 0;
        for (size_t i = 0; i < n && !(f->first && k == 1); i++)
                if (hf_match(f, &hosts[i]))
                        idx[k++] = i;
        return k;
}

void hf_describe(const struct host_filter *f, char *buf, size_t cap)
{
        int n = snprintf(buf, cap, "role %s", f->role ? f->role : "any");
        for (size_t i = 0; i < f->n_labels && n >= 0 && (size_t)n < cap; i++)
                n += snprintf(buf + n, cap - (size_t)n, ", label %s", f->labels[i]);
        for (size_t i = 0; i < f->n_addresses && n >= 0 && (size_t)n < cap; i++)
                n += snprintf(buf + n, cap - (size_t)n, "%s %s", i ? " or" : ", address",
                              f->addresses[i]);
}
