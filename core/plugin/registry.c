#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "plugin/registry.h"

void registry_init(struct registry *r)
{
        memset(r, 0, sizeof(*r));
}

static void plugin_free(struct pharos_plugin *p)
{
        if (!p)
                return;
        free(p->origin);
        free(p);
}

void registry_free(struct registry *r)
{
        for (size_t i = r->n_plugins; i-- > 0;) {
                struct pharos_plugin *p = r->plugins[i];
                if (p->initialized && p->desc.fini)
                        p->desc.fini(p->state);
                plugin_free(p);
        }
        free(r->plugins);
        free(r->steps);
        free(r->cmds);
        registry_init(r);
}

struct pharos_plugin *registry_find(const struct registry *r, const char *name)
{
        for (size_t i = 0; i < r->n_plugins; i++)
                if (strcmp(r->plugins[i]->desc.name, name) == 0)
                        return r->plugins[i];
        return NULL;
}

int abi_copy_struct(void *dst, size_t known, const void *src, size_t have, size_t min,
                    const char *what, struct pharos_error *err)
{
        memset(dst, 0, known);
        if (have < min)
                return perr_set(err, PERR_FAIL,
                                "%s is %zu bytes, smaller than the %zu bytes of ABI %d.0", what,
                                have, min, PHAROS_ABI_MAJOR);
        if (have > known) {
                const unsigned char *tail = (const unsigned char *)src + known;
                for (size_t i = 0; i < have - known; i++)
                        if (tail[i])
                                return perr_set(err, PERR_FAIL,
                                                "%s is %zu bytes with non-zero data past the %zu "
                                                "bytes pharos (ABI %d.%d) knows",
                                                what, have, known, PHAROS_ABI_MAJOR,
                                                PHAROS_ABI_MINOR);
        }
        memcpy(dst, src, have < known ? have : known);
        return 0;
}

static void drop_registrations(struct registry *r, const struct pharos_plugin *p)
{
        size_t k = 0;
        for (size_t i = 0; i < r->n_steps; i++)
                if (r->steps[i].owner != p)
                        r->steps[k++] = r->steps[i];
        r->n_steps = k;
        k = 0;
        for (size_t i = 0; i < r->n_cmds; i++)
                if (r->cmds[i].owner != p)
                        r->cmds[k++] = r->cmds[i];
        r->n_cmds = k;
}

int registry_add(struct registry *r, struct pharos_plugin *p, const struct pharos_host *host,
                 struct pharos_error *err)
{
        struct pharos_plugin **grown = realloc(r->plugins, (r->n_plugins + 1) * sizeof(*grown));
        if (!grown) {
                plugin_free(p);
                return perr_set(err, PERR_NOMEM, "out of memory");
        }
        r->plugins = grown;
        p->reg = r;
        if (p->desc.init) {
                int rc = p->desc.init(host, p, &p->state);
                if (rc < 0) {
                        perr_set(err, PERR_FAIL, "init of plugin '%s' failed (returned %d)%s%s",
                                 p->desc.name, rc, p->error[0] ? ": " : "", p->error);
                        drop_registrations(r, p);
                        plugin_free(p);
                        return PERR_FAIL;
                }
        }
        p->initialized = 1;
        r->plugins[r->n_plugins++] = p;
        return 0;
}

static int valid_id(const char *s)
{
        if (!s || !*s)
                return 0;
        for (; *s; s++)
                if (!isalnum((unsigned char)*s) && !strchr("-_.", *s))
                        return 0;
        return 1;
}

int registry_add_step(struct pharos_plugin *p, const struct pharos_step *s,
                      struct pharos_error *err)
{
        struct registry *r = p->reg;
        struct reg_step rs = {.owner = p};

        if (!s)
                return perr_set(err, PERR_FAIL, "plugin '%s' registered a NULL step", p->desc.name);
        if (abi_copy_struct(&rs.step, sizeof(rs.step), s, s->struct_size, PHAROS_STEP_SIZE_1_0,
                            "step", err) < 0)
                return PERR_FAIL;
        if (!valid_id(rs.step.id))
                return perr_set(err, PERR_FAIL,
                                "plugin '%s' registered a step with an invalid id '%s'",
                                p->desc.name, rs.step.id ? rs.step.id : "(null)");
        if (!rs.step.phase || !rs.step.run)
                return perr_set(err, PERR_FAIL, "step '%s' needs a phase and a run function",
                                rs.step.id);
        if (rs.step.serial_width && !(rs.step.flags & PHAROS_STEP_SERIAL))
                return perr_set(err, PERR_FAIL,
                                "step '%s' has a serial_width but not PHAROS_STEP_SERIAL",
                                rs.step.id);
        for (size_t i = 0; i < r->n_steps; i++)
                if (strcmp(r->steps[i].step.id, rs.step.id) == 0)
                        return perr_set(err, PERR_FAIL,
                                        "step id '%s' is already registered by plugin '%s'",
                                        rs.step.id, r->steps[i].owner->desc.name);
        struct reg_step *grown = realloc(r->steps, (r->n_steps + 1) * sizeof(*grown));
        if (!grown)
                return perr_set(err, PERR_NOMEM, "out of memory");
        r->steps = grown;
        r->steps[r->n_steps++] = rs;
        return 0;
}

static int valid_command_name(const char *s)
{
        if (!s || !*s || *s == ' ' || *s == '-')
                return 0;
        for (const char *c = s; *c; c++) {
                if (*c == ' ' && (c[1] == ' ' || c[1] == '\0'))
                        return 0;
                if (*c != ' ' && !islower((unsigned char)*c) && !isdigit((unsigned char)*c) &&
                    *c != '-')
                        return 0;
        }
        return 1;
}

int registry_add_command(struct pharos_plugin *p, const struct pharos_command *c,
                         struct pharos_error *err)
{
        struct registry *r = p->reg;
        struct reg_command rc = {.owner = p};

        if (!c)
                return perr_set(err, PERR_FAIL, "plugin '%s' registered a NULL command",
                                p->desc.name);
        if (abi_copy_struct(&rc.cmd, sizeof(rc.cmd), c, c->struct_size, PHAROS_COMMAND_SIZE_1_0,
                            "command", err) < 0)
                return PERR_FAIL;
        if (!valid_command_name(rc.cmd.name))
                return perr_set(err, PERR_FAIL,
                                "plugin '%s' registered a command with an invalid name '%s'",
                                p->desc.name, rc.cmd.name ? rc.cmd.name : "(null)");
        if (!rc.cmd.fn || (rc.cmd.n_params && !rc.cmd.params))
                return perr_set(err, PERR_FAIL, "command '%s' needs a function and its parameters",
                                rc.cmd.name);
        for (uint32_t i = 0; i < rc.cmd.n_params; i++) {
                const struct pharos_param *pp = &rc.cmd.params[i];
                if (!valid_id(pp->name) || pp->type < PHAROS_PARAM_STRING ||
                    pp->type > PHAROS_PARAM_DOUBLE)
                        return perr_set(err, PERR_FAIL,
                                        "command '%s': parameter %u has a bad name or type",
                                        rc.cmd.name, i + 1);
        }
        for (size_t i = 0; i < r->n_cmds; i++)
                if (strcmp(r->cmds[i].cmd.name, rc.cmd.name) == 0)
                        return perr_set(err, PERR_FAIL,
                                        "command '%s' is already registered by plugin '%s'",
                                        rc.cmd.name, r->cmds[i].owner->desc.name);
        struct reg_command *grown = realloc(r->cmds, (r->n_cmds + 1) * sizeof(*grown));
        if (!grown)
                return perr_set(err, PERR_NOMEM, "out of memory");
        r->cmds = grown;
        r->cmds[r->n_cmds++] = rc;
        return 0;
}

size_t registry_count_steps(const struct registry *r, const struct pharos_plugin *p)
{
        size_t n = 0;
        for (size_t i = 0; i < r->n_steps; i++)
                n += r->steps[i].owner == p;
        return n;
}

size_t registry_count_commands(const struct registry *r, const struct pharos_plugin *p)
{
        size_t n = 0;
        for (size_t i = 0; i < r->n_cmds; i++)
                n += r->cmds[i].owner == p;
        return n;
}
