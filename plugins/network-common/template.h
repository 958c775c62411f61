/*
 * ${NAME} substitution for the network plugins' manifests (shared source of
 * network-calico and network-custom, not a plugin). "$${" stands for a
 * literal "${". A name is a letter or '_' followed by letters, digits, '_'
 * or '.'; any other text after "${", or a name with no value, is an error
 * that names the line.
 */
#ifndef PHAROS_NETWORK_TEMPLATE_H
#define PHAROS_NETWORK_TEMPLATE_H

#include <stddef.h>

enum tmpl_how {
        TMPL_RAW = 0, /* inserted as is (YAML blocks, values the author placed) */
        TMPL_QUOTED,  /* escaped for a YAML double-quoted scalar; control characters refused */
};

struct tmpl_var {
        const char *name;
        const char *value;
        int how; /* enum tmpl_how */
};

struct tmpl_error {
        int line;      /* 1-based line of the template; 0 when out of memory */
        char name[64]; /* the offending name (may be cut), or "" */
        char what[96]; /* what is wrong */
};

/* v as a YAML double-quoted scalar, quotes included, malloc'ed; NULL on a
 * control character or when out of memory. */
char *tmpl_quote(const char *v);

/*
 * The template with every placeholder replaced, NUL-terminated and
 * malloc'ed, or NULL with *err filled (what "out of memory" when that).
 */
char *tmpl_render(const char *tmpl, const struct tmpl_var *vars, size_t n_vars,
                  struct tmpl_error *err);

#endif
