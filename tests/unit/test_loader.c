/* The plugin loader against the ABI fixtures: status and message of each case. */
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

#include "plugin/loader.h"
#include "plugin/step_order.h"
#include "util/log.h"

#define FX(v) FIXTURE_DIR "/" v "/" v ".so"

static char msgbuf[8192];

/* Runs loader_load_all with stderr captured into msgbuf. */
static size_t load_all_captured(struct registry *r, const struct loader_opts *o)
{
        FILE *tmp = tmpfile();
        assert_non_null(tmp);
        fflush(stderr);
        int saved = dup(2);
        dup2(fileno(tmp), 2);
        size_t rejected = loader_load_all(r, o);
        fflush(stderr);
        dup2(saved, 2);
        close(saved);
        rewind(tmp);
        size_t n = fread(msgbuf, 1, sizeof(msgbuf) - 1, tmp);
        msgbuf[n] = '\0';
        fclose(tmp);
        return rejected;
}

static void load_one_fails(const char *path, const char *expect)
{
        struct registry r;
        struct pharos_error err = {0};
        registry_init(&r);
        assert_int_equal(loader_load_file(&r, path, &err), PERR_FAIL);
        assert_string_equal(err.msg, expect);
        assert_int_equal(r.n_plugins, 0);
        assert_int_equal(r.n_steps, 0);
        assert_int_equal(r.n_cmds, 0);
        registry_free(&r);
}

static void good(void **s)
{
        (void)s;
        struct registry r;
        struct pharos_error err = {0};
        registry_init(&r);
        assert_int_equal(loader_load_file(&r, FX("good"), &err), 0);
        assert_int_equal(r.n_plugins, 1);
        assert_string_equal(r.plugins[0]->desc.name, "good");
        assert_string_equal(r.plugins[0]->origin, FX("good"));
        assert_int_equal(registry_count_steps(&r, r.plugins[0]), 1);
        assert_int_equal(registry_count_commands(&r, r.plugins[0]), 1);
        assert_string_equal(r.steps[0].step.id, "good.step");
        registry_free(&r);
}

static void abi_major_mismatch(void **s)
{
        (void)s;
        char expect[512];
        snprintf(expect, sizeof(expect),
                 "%s: rejected: built for plugin ABI %d.%d, this pharos has ABI %d.%d "
                 "(the major version must match)",
                 FX("abi-major-bad"), PHAROS_ABI_MAJOR + 1, PHAROS_ABI_MINOR, PHAROS_ABI_MAJOR,
                 PHAROS_ABI_MINOR);
        load_one_fails(FX("abi-major-bad"), expect);
}

static void abi_minor_newer(void **s)
{
        (void)s;
        char expect[512];
        snprintf(expect, sizeof(expect),
                 "%s: rejected: built for plugin ABI %d.%d, this pharos has ABI %d.%d "
                 "(the plugin needs a newer pharos)",
                 FX("abi-minor-newer"), PHAROS_ABI_MAJOR, PHAROS_ABI_MINOR + 1, PHAROS_ABI_MAJOR,
                 PHAROS_ABI_MINOR);
        load_one_fails(FX("abi-minor-newer"), expect);
}

static void size_bigger_nonzero_tail(void **s)
{
        (void)s;
        char expect[512];
        snprintf(expect, sizeof(expect),
                 "%s: rejected: plugin descriptor is %zu bytes with non-zero data past the %zu "
                 "bytes pharos (ABI %d.%d) knows",
                 FX("size-big-nonzero"), sizeof(struct pharos_plugin_desc) + 16,
                 sizeof(struct pharos_plugin_desc), PHAROS_ABI_MAJOR, PHAROS_ABI_MINOR);
        load_one_fails(FX("size-big-nonzero"), expect);
}

static void size_bigger_zero_tail_accepted(void **s)
{
        (void)s;
        struct {
                struct pharos_plugin_desc d;
                uint64_t future[2];
        } big = {.d = {.struct_size = sizeof(big),
                       .abi_major = PHAROS_ABI_MAJOR,
                       .kind = PHAROS_KIND_OTHER,
                       .name = "future",
                       .version = "1",
                       .description = "d"}};
        struct pharos_plugin_desc out;
        struct pharos_error err = {0};
        assert_int_equal(loader_accept_desc(&big.d, "mem", &out, &err), 0);
        assert_string_equal(out.name, "future");
        big.d.struct_size = 8;
        assert_int_equal(loader_accept_desc(&big.d, "mem", &out, &err), PERR_FAIL);
        char expect[256];
        snprintf(expect, sizeof(expect),
                 "mem: rejected: plugin descriptor is 8 bytes, smaller than the %zu bytes of ABI "
                 "%d.0",
                 (size_t)PHAROS_PLUGIN_DESC_SIZE_1_0, PHAROS_ABI_MAJOR);
        assert_string_equal(err.msg, expect);
}

static void no_symbol(void **s)
{
        (void)s;
        load_one_fails(FX("no-symbol"), FX("no-symbol") ": rejected: no pharos_plugin_describe "
                                                        "symbol (not a pharos plugin)");
}

static void init_fails(void **s)
{
        (void)s;
        /* Its registered step must be gone too. */
        load_one_fails(FX("init-fails"),
                       FX("init-fails") ": rejected: init of plugin 'init-fails' "
                                        "failed (returned -7): the fixture refuses to start");
}

/* Only an OS plugin claims hosts, so only one may offer to install packages on them. */
static void packages_only_from_os(void **s)
{
        (void)s;
        load_one_fails(FX("not-os-packages"),
                       FX("not-os-packages") ": rejected: init of plugin 'not-os-packages' "
                                             "failed (returned -1): register_kube_packages: only "
                                             "an OS plugin installs packages");
}

static void width_needs_serial(void **s)
{
        (void)s;
        load_one_fails(FX("width-not-serial"),
                       FX("width-not-serial") ": rejected: init of plugin 'width-not-serial' "
                                              "failed (returned -1): step 'width-not-serial.step' "
                                              "has a serial_width but not PHAROS_STEP_SERIAL");
}

static void not_a_library(void **s)
{
        (void)s;
        char path[] = "/tmp/pharos-test-XXXXXX.so";
        int fd = mkstemps(path, 3);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, "garbage", 7), 7);
        close(fd);
        struct registry r;
        struct pharos_error err = {0};
        registry_init(&r);
        assert_int_equal(loader_load_file(&r, path, &err), PERR_FAIL);
        char prefix[256];
        snprintf(prefix, sizeof(prefix), "%s: rejected: cannot load: ", path);
        assert_memory_equal(err.msg, prefix, strlen(prefix));
        registry_free(&r);
        unlink(path);
}

static void duplicate_name_first_wins(void **s)
{
        (void)s;
        struct registry r;
        registry_init(&r);
        const char *paths[] = {FIXTURE_DIR "/good", FIXTURE_DIR "/dup"};
        struct loader_opts o = {.paths = paths, .n_paths = 2};
        assert_int_equal(load_all_captured(&r, &o), 0);
        assert_int_equal(r.n_plugins, 1);
        assert_string_equal(r.plugins[0]->origin, FX("good"));
        assert_string_equal(msgbuf,
                            "warning: plugin 'good' from " FX(
                                    "dup") " ignored: already loaded from " FX("good") "\n");
        registry_free(&r);

        /* The other order: the other file wins, deterministically. */
        const char *rev[] = {FIXTURE_DIR "/dup", FIXTURE_DIR "/good"};
        o.paths = rev;
        registry_init(&r);
        load_all_captured(&r, &o);
        assert_string_equal(r.plugins[0]->origin, FX("dup"));
        registry_free(&r);
}

/* A build tree searched before an installed copy: every plugin twice. The
 * second copies are said once, with how many and where; -v names each. */
static void duplicates_of_an_entry_said_once(void **s)
{
        (void)s;
        char top[] = "/tmp/pharos-dups-XXXXXX";
        assert_non_null(mkdtemp(top));
        char cmd[1024], expect[512];
        snprintf(cmd, sizeof(cmd), "cp %s %s %s %s", FX("good"), FX("os-fixture"),
                 FX("network-testnet"), top);
        assert_int_equal(system(cmd), 0);
        struct registry r;
        const char *paths[] = {FIXTURE_DIR "/good", FIXTURE_DIR "/os-fixture",
                               FIXTURE_DIR "/network-testnet", top};
        struct loader_opts o = {.paths = paths, .n_paths = 4};
        registry_init(&r);
        assert_int_equal(load_all_captured(&r, &o), 0);
        assert_int_equal(r.n_plugins, 3);
        snprintf(expect, sizeof(expect),
                 "warning: 3 plugins from %s ignored: already loaded from earlier in the search "
                 "path (-v names them)\n",
                 top);
        assert_string_equal(msgbuf, expect);
        registry_free(&r);

        log_set_level(PHAROS_LOG_DEBUG);
        registry_init(&r);
        load_all_captured(&r, &o);
        log_set_level(PHAROS_LOG_INFO);
        snprintf(expect, sizeof(expect),
                 "plugin 'os-fixture' from %s/os-fixture.so ignored: already loaded from " FX(
                         "os-fixture") "\n",
                 top);
        assert_non_null(strstr(msgbuf, expect));
        assert_non_null(strstr(msgbuf, "warning: 3 plugins from "));
        registry_free(&r);
        snprintf(cmd, sizeof(cmd), "rm -rf %s", top);
        assert_int_equal(system(cmd), 0);
}

static void env_path_and_bad_ones_do_not_stop_others(void **s)
{
        (void)s;
        struct registry r;
        registry_init(&r);
        struct loader_opts o = {.env_path = FIXTURE_DIR "/abi-major-bad::" FIXTURE_DIR
                                                        "/no-symbol:" FIXTURE_DIR "/good"};
        assert_int_equal(load_all_captured(&r, &o), 2);
        assert_int_equal(r.n_plugins, 1);
        assert_string_equal(r.plugins[0]->desc.name, "good");
        /* One line per rejected file. */
        size_t lines = 0;
        for (const char *c = msgbuf; *c; c++)
                lines += *c == '\n';
        assert_int_equal(lines, 2);
        assert_non_null(
                strstr(msgbuf, "warning: " FX("abi-major-bad") ": rejected: built for plugin ABI"));
        assert_non_null(strstr(
                msgbuf, "warning: " FX("no-symbol") ": rejected: no pharos_plugin_describe"));
        registry_free(&r);
}

/* Loads DIR as a --plugin-path entry: the rejected count, msgbuf the warnings. */
static size_t load_dir_entry(const char *dir, size_t *n_plugins)
{
        struct registry r;
        struct loader_opts o = {.paths = (const char *[]){dir}, .n_paths = 1};
        registry_init(&r);
        size_t rejected = load_all_captured(&r, &o);
        *n_plugins = r.n_plugins;
        registry_free(&r);
        return rejected;
}

static void writable_or_foreign_refused(void **s)
{
        (void)s;
        char top[] = "/tmp/pharos-ww-XXXXXX";
        assert_non_null(mkdtemp(top));
        char dir[300], so[320], cmd[700], expect[800];
        size_t n = 0;
        snprintf(dir, sizeof(dir), "%s/plugins", top);
        snprintf(so, sizeof(so), "%s/good.so", dir);
        assert_int_equal(mkdir(dir, 0755), 0);
        snprintf(cmd, sizeof(cmd), "cp %s %s", FX("good"), so);
        assert_int_equal(system(cmd), 0);

        /* the file, writable by others or by its group */
        const mode_t file_modes[] = {0666, 0664};
        for (size_t i = 0; i < 2; i++) {
                chmod(so, file_modes[i]);
                assert_int_equal(load_dir_entry(dir, &n), 1);
                assert_int_equal(n, 0);
                snprintf(expect, sizeof(expect),
                         "warning: %s: refused: the file is writable by group or others "
                         "(mode %04o)\n",
                         so, (unsigned)file_modes[i]);
                assert_string_equal(msgbuf, expect);
        }
        chmod(so, 0644);

        /* the directory, or one above it, writable by others or its group */
        chmod(dir, 0775);
        assert_int_equal(load_dir_entry(dir, &n), 1);
        snprintf(expect, sizeof(expect),
                 "warning: %s: refused: the directory is writable by group or others (mode "
                 "0775)\n",
                 dir);
        assert_string_equal(msgbuf, expect);
        chmod(dir, 0755);
        chmod(top, 0777);
        assert_int_equal(load_dir_entry(dir, &n), 1);
        snprintf(expect, sizeof(expect),
                 "warning: %s: refused: directory %s above it is writable by group or others "
                 "(mode 0777)\n",
                 dir, top);
        assert_string_equal(msgbuf, expect);
        /* the sticky bit on a root-owned directory (as /tmp) keeps its entries theirs */
        chmod(top, 01777);
        assert_int_equal(load_dir_entry(dir, &n), 0);
        assert_int_equal(n, 1);
        chmod(top, 0700);

        /* owned by someone else than root or the user running pharos */
        assert_int_equal(chown(so, 4242, 4242), 0);
        assert_int_equal(load_dir_entry(dir, &n), 1);
        snprintf(expect, sizeof(expect),
                 "warning: %s: refused: the file is owned by uid 4242, not by root or the user "
                 "running pharos (uid %u)\n",
                 so, (unsigned)geteuid());
        assert_string_equal(msgbuf, expect);
        assert_int_equal(chown(so, geteuid(), getegid()), 0);
        assert_int_equal(chown(top, 4242, 4242), 0);
        assert_int_equal(load_dir_entry(dir, &n), 1);
        assert_non_null(strstr(msgbuf, "above it is owned by uid 4242"));
        assert_int_equal(chown(top, geteuid(), getegid()), 0);

        /* a bare file name is that file in the current directory, never a library search */
        char cwd[300];
        assert_non_null(getcwd(cwd, sizeof(cwd)));
        assert_int_equal(chdir(dir), 0);
        struct registry r;
        struct pharos_error err = {0};
        registry_init(&r);
        int rc = loader_load_file(&r, "good.so", &err);
        assert_int_equal(chdir(cwd), 0);
        assert_int_equal(rc, 0);
        assert_int_equal(r.n_plugins, 1);
        registry_free(&r);

        snprintf(cmd, sizeof(cmd), "rm -rf %s", top);
        assert_int_equal(system(cmd), 0);
}

static void step_cycle_reported_with_path(void **s)
{
        (void)s;
        struct registry r;
        struct pharos_error err = {0};
        registry_init(&r);
        assert_int_equal(loader_load_file(&r, FX("step-cycle"), &err), 0);
        size_t *order = NULL;
        assert_int_equal(steps_resolve(&r, &order, &err), PERR_USAGE);
        assert_null(order);
        assert_string_equal(err.msg, "steps of phase 'network' form a cycle: "
                                     "fixture.a -> fixture.b -> fixture.c -> fixture.a");
        registry_free(&r);
}

static void unknown_after_reported(void **s)
{
        (void)s;
        struct registry r;
        struct pharos_error err = {0};
        registry_init(&r);
        assert_int_equal(loader_load_file(&r, FX("unknown-after"), &err), 0);
        size_t *order = NULL;
        assert_int_equal(steps_resolve(&r, &order, &err), PERR_USAGE);
        assert_string_equal(err.msg, "step 'fixture.lonely' (phase 'addons') is to run after "
                                     "unknown step 'nobody.nothing'");
        registry_free(&r);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(good),
                cmocka_unit_test(abi_major_mismatch),
                cmocka_unit_test(abi_minor_newer),
                cmocka_unit_test(width_needs_serial),
                cmocka_unit_test(size_bigger_nonzero_tail),
                cmocka_unit_test(size_bigger_zero_tail_accepted),
                cmocka_unit_test(no_symbol),
                cmocka_unit_test(init_fails),
                cmocka_unit_test(packages_only_from_os),
                cmocka_unit_test(not_a_library),
                cmocka_unit_test(duplicate_name_first_wins),
                cmocka_unit_test(duplicates_of_an_entry_said_once),
                cmocka_unit_test(env_path_and_bad_ones_do_not_stop_others),
                cmocka_unit_test(writable_or_foreign_refused),
                cmocka_unit_test(step_cycle_reported_with_path),
                cmocka_unit_test(unknown_after_reported),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
