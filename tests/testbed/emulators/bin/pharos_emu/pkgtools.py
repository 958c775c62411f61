"""apt-get, apt-mark, dpkg-query (Debian/Ubuntu hosts); dnf, yum, rpm (EL hosts)."""
import os
import re
import sys

from . import catalog, host, pkgdb

APT_LOCK_MSG = ("E: Could not get lock /var/lib/dpkg/lock-frontend. It is held by another process\n"
                "E: Unable to acquire the dpkg frontend lock (/var/lib/dpkg/lock-frontend), is another process "
                "using it?")


def _need_family(want, tool):
    fam, _ = pkgdb.family()
    if fam != want:
        raise host.ToolError("bash: %s: command not found" % tool, 127)


def _available(db, fam, distro):
    """{name: [Pkg...]} from the distribution plus repositories fetched by apt-get update."""
    out = {}
    for p in catalog.base_repos(fam, distro):
        out.setdefault(p.name, []).append(p)
    for uri in db.get("lists", []):
        _, pkgs = catalog.repository(uri, fam, distro, host.os_release())
        for p in pkgs or []:
            out.setdefault(p.name, []).append(p)
    return out


def _apt_pins():
    """Package -> pinned version glob from /etc/apt/preferences(.d) with priority >= 1000."""
    import glob
    pins = {}
    files = [host.path("/etc/apt/preferences")] + sorted(glob.glob(host.path("/etc/apt/preferences.d/*")))
    for f in files:
        try:
            text = open(f).read()
        except OSError:
            continue
        for stanza in text.split("\n\n"):
            fields = {}
            for line in stanza.splitlines():
                if ":" in line:
                    k, _, v = line.partition(":")
                    fields[k.strip().lower()] = v.strip()
            pin = fields.get("pin", "")
            if pin.startswith("version ") and int(fields.get("pin-priority", "0") or 0) >= 1000:
                for name in fields.get("package", "").split():
                    pins[name] = pin[len("version "):].strip()
    return pins


def _glob_match(pattern, version):
    return re.match("^" + re.escape(pattern).replace(r"\*", ".*") + "$", version) is not None


def _pick(cands, name, want, pins):
    if want:
        hit = [p for p in cands if p.version == want]
        if not hit:
            raise host.ToolError("E: Version '%s' for '%s' was not found" % (want, name), 100)
        return hit[0]
    pool = cands
    if name in pins:
        pool = [p for p in cands if _glob_match(pins[name], p.version)] or cands
    best = pool[0]
    for p in pool[1:]:
        if catalog.compare_versions(p.version, best.version) > 0:
            best = p
    return best


# ---------------- apt-get ----------------
def apt_get(journal, argv):
    _need_family("deb", "apt-get")
    opts = {"yes": False, "downgrades": False, "held": False, "quiet": False}
    args = []
    it = iter(argv)
    for a in it:
        if a in ("-y", "--yes", "--assume-yes", "-qy", "-yq"):
            opts["yes"] = True
        elif a in ("-q", "-qq", "--quiet"):
            opts["quiet"] = True
        elif a == "--allow-downgrades":
            opts["downgrades"] = True
        elif a == "--allow-change-held-packages":
            opts["held"] = True
        elif a in ("--no-install-recommends", "--install-recommends", "--fix-broken", "-f", "--purge",
                   "--allow-unauthenticated", "--reinstall"):
            pass
        elif a == "-o":
            opt = next(it, "")
            if opt.replace(" ", "").lower() in ("apt::get::assume-yes=true", "apt::get::assume-yes=1"):
                opts["yes"] = True
        elif a.startswith("-o"):
            pass
        elif a.startswith("-"):
            raise host.ToolError("E: Command line option '%s' [from %s] is not understood in combination with "
                                 "the other options." % (a.lstrip("-")[:1], a), 100)
        else:
            args.append(a)
    if not args:
        raise host.ToolError("apt 2.7.14 (amd64)\nUsage: apt-get [options] command", 1)
    cmd, names = args[0], args[1:]
    if cmd in ("update", "install", "remove", "purge", "upgrade", "autoremove", "dist-upgrade"):
        host.require_root("apt-get")
    with pkgdb.DpkgLock("/var/lib/dpkg/lock-frontend", APT_LOCK_MSG):
        if cmd == "update":
            return _apt_update(journal)
        if cmd == "install":
            return _apt_install(journal, names, opts)
        if cmd in ("remove", "purge", "autoremove"):
            return _apt_remove(journal, names, opts)
        if cmd in ("upgrade", "dist-upgrade", "clean", "autoclean"):
            print("Reading package lists...\n0 upgraded, 0 newly installed, 0 to remove and 0 not upgraded.")
            return 0
    raise host.ToolError("E: Invalid operation %s" % cmd, 100)


def _release_url(uri, suite):
    base = uri.rstrip("/")
    return base + "/InRelease" if suite == "/" else "%s/dists/%s/InRelease" % (base, suite)


def _fetch_release(uri, suite):
    """(status, body) of the repository's InRelease through the host's own resolver and trust store;
    (None, reason) when it cannot be fetched; None when the host has no mirror for that name."""
    # Only apt-get update reaches the mirror; the query tools start without its servers' modules.
    from . import mirror

    name = re.sub(r"^[a-z+]+://([^/:]+).*$", r"\1", uri)
    if mirror.resolve(name, host.path("/etc/hosts")) is None:
        return None
    try:
        return mirror.fetch(_release_url(uri, suite), host.path("/etc/hosts"),
                            host.path("/etc/ssl/certs/ca-certificates.crt"))
    except OSError as e:
        return None, str(e)


def _apt_update(journal):
    fam, distro = pkgdb.family()
    lists, errors, warnings = [], [], []
    n = 0
    for uri, suite, signed_by, origin in pkgdb.apt_sources():
        n += 1
        repo_id, pkgs = catalog.repository(uri, fam, distro, host.os_release())
        if repo_id == "distribution":
            print("Hit:%d %s %s InRelease" % (n, uri, suite))
            continue
        if repo_id is None:
            hostname = re.sub(r"^[a-z+]+://([^/]+).*$", r"\1", uri)
            print("Err:%d %s %s InRelease\n  Could not resolve '%s'" % (n, uri, suite, hostname))
            warnings.append("W: Failed to fetch %s/dists/%s/InRelease  Could not resolve '%s'"
                            % (uri.rstrip("/"), suite, hostname))
            continue
        if pkgs is None:
            print("Err:%d %s %s Release\n  404  Not Found" % (n, uri, suite))
            errors.append("E: The repository '%s %s Release' does not have a Release file." % (uri, suite))
            continue
        online = _fetch_release(uri, suite)
        if online is not None:
            status, body = online
            if status is None:
                print("Err:%d %s %s InRelease\n  %s" % (n, uri, suite, body))
                warnings.append("W: Failed to fetch %s  %s" % (_release_url(uri, suite), body))
                continue
            if status != 200:
                print("Err:%d %s %s Release\n  %d  Not Found" % (n, uri, suite, status))
                errors.append("E: The repository '%s %s Release' does not have a Release file." % (uri, suite))
                continue
            from . import mirror

            keyrings = [signed_by] if signed_by else pkgdb.trusted_keyrings()
            key_ok = any(pkgdb.key_problem(k) is None and mirror.verify_clearsigned(body, host.path(k))[0]
                         for k in keyrings)
        else:
            key_ok = pkgdb.key_problem(signed_by) is None if signed_by else any(
                pkgdb.key_problem(k) is None for k in pkgdb.trusted_keyrings())
        if online is None and not os.environ.get("PHAROS_TESTBED_OFFLINE_REPOS"):
            hostname = re.sub(r"^[a-z+]+://([^/]+).*$", r"\1", uri)
            print("Err:%d %s %s InRelease\n  Could not resolve '%s'" % (n, uri, suite, hostname))
            warnings.append("W: Failed to fetch %s  Could not resolve '%s'" % (_release_url(uri, suite), hostname))
            continue
        if not key_ok:
            print("Get:%d %s %s InRelease" % (n, uri, suite))
            if signed_by and pkgdb.key_problem(signed_by) == "armored key in .gpg file":
                warnings.append("W: %s: The key(s) in the keyring %s are ignored as the file has an unsupported "
                                "filetype." % (uri, signed_by))
            warnings.append("W: GPG error: %s %s InRelease: The following signatures couldn't be verified because "
                            "the public key is not available: NO_PUBKEY 234654DA9A296436" % (uri, suite))
            errors.append("E: The repository '%s %s InRelease' is not signed." % (uri, suite))
            continue
        print("Get:%d %s %s InRelease [1186 B]" % (n, uri, suite))
        lists.append(uri)
    print("Reading package lists...")
    for w in warnings:
        sys.stderr.write(w + "\n")
    db = pkgdb.load()
    if sorted(db.get("lists", [])) != sorted(lists):
        journal.changed = True
    db["lists"] = lists
    pkgdb.save(db)
    if errors:
        sys.stderr.write("\n".join(errors) + "\nN: Updating from such a repository can't be done securely, and is "
                         "therefore disabled by default.\n")
        return 100
    return 0


def _resolve(names, db, avail, pins, split):
    """Packages to install: [(Pkg, requested)] including missing dependencies, or raise like apt."""
    plan, seen = [], set()
    for spec in names:
        name, want = split(spec)
        if name not in avail:
            if name in db["installed"] and not want:
                continue
            raise host.ToolError("E: Unable to locate package %s" % name, 100)
        plan.append((_pick(avail[name], name, want, pins), True))
        seen.add(name)
    i = 0
    while i < len(plan):
        for dep in plan[i][0].depends:
            if dep in seen or dep in db["installed"]:
                continue
            if dep not in avail:
                raise host.ToolError("Some packages could not be installed. This may mean that you have\nrequested "
                                     "an impossible situation.\n\nThe following packages have unmet dependencies:\n"
                                     " %s : Depends: %s but it is not installable\nE: Unable to correct problems, you "
                                     "have held broken packages." % (plan[i][0].name, dep), 100)
            plan.append((_pick(avail[dep], dep, None, pins), False))
            seen.add(dep)
        i += 1
    return plan


def _apt_install(journal, names, opts):
    fam, distro = pkgdb.family()
    db = pkgdb.load()
    avail = _available(db, fam, distro)
    print("Reading package lists...\nBuilding dependency tree...\nReading state information...")
    plan = _resolve(names, db, avail, _apt_pins(),
                    lambda s: tuple(s.split("=", 1)) if "=" in s else (s, None))
    changes = []
    for pkg, requested in plan:
        cur = db["installed"].get(pkg.name)
        if cur and cur["version"] == pkg.version:
            print("%s is already the newest version (%s)." % (pkg.name, pkg.version))
            continue
        changes.append((pkg, cur, requested))
    held = [p.name for p, cur, _ in changes if cur and p.name in db["held"]]
    if held:
        print("The following held packages will be changed:\n  " + " ".join(held))
        if not opts["held"]:
            raise host.ToolError("E: Held packages were changed and -y was used without "
                                 "--allow-change-held-packages.", 100)
    down = [p.name for p, cur, _ in changes if cur and catalog.compare_versions(p.version, cur["version"]) < 0]
    if down:
        print("The following packages will be DOWNGRADED:\n  " + " ".join(down))
        if not opts["downgrades"]:
            raise host.ToolError("E: Packages were downgraded and -y was used without --allow-downgrades.", 100)
    new = [p.name for p, cur, _ in changes if not cur]
    extra = [p.name for p, cur, req in changes if not req]
    if extra:
        print("The following additional packages will be installed:\n  " + " ".join(extra))
    if new:
        print("The following NEW packages will be installed:\n  " + " ".join(new))
    print("%d upgraded, %d newly installed, %d to remove and 0 not upgraded." % (
        len(changes) - len(new), len(new), 0))
    if not changes:
        return 0
    if (extra or down or held) and not opts["yes"]:
        sys.stdout.write("Do you want to continue? [Y/n] ")
        sys.stdout.flush()
        answer = sys.stdin.readline().strip().lower()
        if answer not in ("y", "yes") and not (answer == "" and sys.stdin.isatty()):
            print("Abort.")
            return 1
    for pkg, cur, _ in changes:
        print("Setting up %s (%s) ..." % (pkg.name, pkg.version))
        pkgdb.install_files(pkg)
        db["installed"][pkg.name] = {"version": pkg.version, "repo": "apt"}
    pkgdb.save(db)
    journal.changed = True
    return 0


def _find_pkg(name, version):
    fam, distro = pkgdb.family()
    for p in catalog.base_repos(fam, distro):
        if p.name == name:
            return p
    for uri in pkgdb.load().get("lists", []) + list(_yum_uris()):
        _, pkgs = catalog.repository(uri, fam, distro, host.os_release())
        for p in pkgs or []:
            if p.name == name and p.version == version:
                return p
    return catalog.Pkg(name, version)


def _yum_uris():
    for r in pkgdb.yum_repos().values():
        if r.get("baseurl"):
            yield r["baseurl"]


def _apt_remove(journal, names, opts):
    db = pkgdb.load()
    print("Reading package lists...\nBuilding dependency tree...")
    gone = []
    for n in names:
        if n not in db["installed"]:
            print("Package '%s' is not installed, so not removed" % n)
            continue
        if n in db["held"] and not opts["held"]:
            raise host.ToolError("E: Held packages were changed and -y was used without "
                                 "--allow-change-held-packages.", 100)
        gone.append(n)
    for n in gone:
        pkgdb.remove_files(_find_pkg(n, db["installed"][n]["version"]))
        print("Removing %s (%s) ..." % (n, db["installed"][n]["version"]))
        del db["installed"][n]
        if n in db["held"]:
            db["held"].remove(n)
    print("0 upgraded, 0 newly installed, %d to remove and 0 not upgraded." % len(gone))
    if gone:
        pkgdb.save(db)
        journal.changed = True
    return 0


# ---------------- apt-mark ----------------
def apt_mark(journal, argv):
    _need_family("deb", "apt-mark")
    if not argv:
        raise host.ToolError("Usage: apt-mark [options] {auto|manual} pkg1 [pkg2 ...]", 1)
    cmd, names = argv[0], [a for a in argv[1:] if not a.startswith("-")]
    db = pkgdb.load()
    if cmd == "showhold":
        for n in sorted(db["held"]):
            print(n)
        return 0
    if cmd not in ("hold", "unhold", "auto", "manual", "showmanual", "showauto"):
        raise host.ToolError("E: Invalid operation %s" % cmd, 100)
    if cmd.startswith("show"):
        for n in sorted(db["installed"]):
            print(n)
        return 0
    fam, distro = pkgdb.family()
    avail = _available(db, fam, distro)
    host.require_root("apt-mark")
    for n in names:
        if n not in db["installed"] and n not in avail:
            raise host.ToolError("E: Unable to locate package %s" % n, 100)
        if cmd == "hold":
            if n in db["held"]:
                print("%s was already set on hold." % n)
            else:
                db["held"].append(n)
                print("%s set on hold." % n)
                journal.changed = True
        elif cmd == "unhold":
            if n in db["held"]:
                db["held"].remove(n)
                print("Canceled hold on %s." % n)
                journal.changed = True
            else:
                print("%s was already not on hold." % n)
    pkgdb.save(db)
    return 0


# ---------------- dpkg-query ----------------
def dpkg_query(journal, argv):
    _need_family("deb", "dpkg-query")
    fmt, mode, names = "${Package}\t${Version}\n", None, []
    it = iter(argv)
    for a in it:
        if a in ("-W", "--show"):
            mode = "W"
        elif a in ("-s", "--status"):
            mode = "s"
        elif a in ("-l", "--list"):
            mode = "l"
        elif a in ("-f", "--showformat"):
            fmt = next(it, "")
        elif a.startswith("--showformat=") or a.startswith("-f="):
            fmt = a.split("=", 1)[1]
        elif a.startswith("-f") and len(a) > 2:
            fmt = a[2:]
        else:
            names.append(a)
    db = pkgdb.load()
    fmt = fmt.replace("\\n", "\n").replace("\\t", "\t")
    rc = 0
    for n in names:
        entry = db["installed"].get(n)
        if not entry:
            sys.stderr.write("dpkg-query: no packages found matching %s\n" % n if mode != "s" else
                             "dpkg-query: package '%s' is not installed and no information is available\n" % n)
            rc = 1
            continue
        held = n in db["held"]
        status = "%s ok installed" % ("hold" if held else "install")
        if mode == "s":
            print("Package: %s\nStatus: %s\nVersion: %s\n" % (n, status, entry["version"]))
        elif mode == "l":
            print("%s  %s %s amd64" % ("hi" if held else "ii", n, entry["version"]))
        else:
            sys.stdout.write(fmt.replace("${Package}", n).replace("${binary:Package}", n)
                             .replace("${Version}", entry["version"]).replace("${Status}", status)
                             .replace("${db:Status-Abbrev}", "hi " if held else "ii "))
    return rc


# ---------------- dnf / yum ----------------
def _yum_available(repos, disable_excludes):
    fam, distro = pkgdb.family()
    out = {}
    for p in catalog.base_repos(fam, distro):
        out.setdefault(p.name, []).append(p)
    errors = []
    for rid, r in repos.items():
        if r.get("enabled", "1").strip() in ("0", "false", "no"):
            continue
        url = (r.get("baseurl") or "").strip()
        repo_id, pkgs = catalog.repository(url, fam, distro, host.os_release())
        if repo_id is None or pkgs is None:
            errors.append("Errors during downloading metadata for repository '%s':\n  - Curl error (6): Couldn't "
                          "resolve host name for %srepodata/repomd.xml" % (rid, url) if repo_id is None else
                          "Errors during downloading metadata for repository '%s':\n  - Status code: 404 for "
                          "%srepodata/repomd.xml" % (rid, url))
            continue
        if r.get("gpgcheck", "1").strip() in ("1", "true", "yes") and not r.get("gpgkey", "").strip():
            errors.append("Error: GPG check FAILED (repository '%s' has no gpgkey)" % rid)
            continue
        excludes = set(r.get("exclude", "").replace(",", " ").split())
        if disable_excludes in (rid, "all"):
            excludes = set()
        for p in pkgs:
            if p.name not in excludes:
                out.setdefault(p.name, []).append(p)
    return out, errors


def dnf(journal, argv, tool="dnf"):
    _need_family("rpm", tool)
    yes, disable_excludes, args = False, None, []
    for a in argv:
        if a in ("-y", "--assumeyes"):
            yes = True
        elif a.startswith("--disableexcludes="):
            disable_excludes = a.split("=", 1)[1]
        elif a.startswith("-"):
            continue
        else:
            args.append(a)
    if not args:
        raise host.ToolError("usage: %s [options] COMMAND" % tool, 1)
    cmd, names = args[0], args[1:]
    db = pkgdb.load()
    with pkgdb.DpkgLock("/var/lib/pharos-testbed/locks/rpmdb", "Error: rpmdb open failed: database is locked"):
        if cmd in ("makecache", "check-update", "clean"):
            _, errors = _yum_available(pkgdb.yum_repos(), disable_excludes)
            if errors:
                raise host.ToolError("\n".join(errors), 1)
            return 0
        if cmd == "versionlock":
            sub, pkgs = (names[0], names[1:]) if names else ("list", [])
            if sub == "list":
                for n in db["held"]:
                    print("%s-%s.*" % (n, db["installed"].get(n, {}).get("version", "0")))
                return 0
            for n in pkgs:
                n = re.sub(r"-\d.*$", "", n)
                if sub == "add" and n not in db["held"]:
                    db["held"].append(n)
                    print("Adding versionlock on: %s" % n)
                elif sub in ("delete", "del") and n in db["held"]:
                    db["held"].remove(n)
            pkgdb.save(db)
            journal.changed = True
            return 0
        if cmd in ("install", "remove", "erase"):
            host.require_root(tool)
        if cmd == "install":
            avail, errors = _yum_available(pkgdb.yum_repos(), disable_excludes)
            if errors:
                raise host.ToolError("\n".join(errors), 1)

            def split(spec):
                m = re.match(r"^(.+?)-(\d[\w.~+]*(?:-[\w.]+)?)$", spec)
                if m and m.group(1) in avail:
                    name, ver = m.groups()
                    full = [p.version for p in avail[name] if p.version == ver or p.version.startswith(ver + "-")]
                    if not full:
                        raise host.ToolError("No match for argument: %s\nError: Unable to find a match: %s"
                                             % (spec, spec), 1)
                    return name, full[0]
                return spec, None
            try:
                plan = _resolve(names, db, avail, {}, split)
            except host.ToolError as e:
                m = re.match(r"E: Unable to locate package (.*)", str(e))
                if m:
                    raise host.ToolError("No match for argument: %s\nError: Unable to find a match: %s"
                                         % (m.group(1), m.group(1)), 1)
                raise
            changes = [(p, db["installed"].get(p.name)) for p, _ in plan
                       if db["installed"].get(p.name, {}).get("version") != p.version]
            locked = [p.name for p, cur in changes if cur and p.name in db["held"]]
            if locked:
                raise host.ToolError("Error: Package %s is locked (versionlock)" % locked[0], 1)
            if not changes:
                print("Dependencies resolved.\nNothing to do.\nComplete!")
                return 0
            if not yes:
                print("Is this ok [y/N]: Operation aborted.")
                return 1
            for p, _ in changes:
                print("  Installing       : %s-%s.x86_64" % (p.name, p.version))
                pkgdb.install_files(p)
                db["installed"][p.name] = {"version": p.version, "repo": "dnf"}
            pkgdb.save(db)
            journal.changed = True
            print("Complete!")
            return 0
        if cmd in ("remove", "erase"):
            for n in names:
                if n in db["installed"]:
                    pkgdb.remove_files(_find_pkg(n, db["installed"][n]["version"]))
                    del db["installed"][n]
                    journal.changed = True
            pkgdb.save(db)
            print("Complete!")
            return 0
    raise host.ToolError("No such command: %s. Please use %s --help" % (cmd, sys.argv[0]), 1)


def rpm(journal, argv):
    _need_family("rpm", "rpm")
    qf, names, query = None, [], False
    it = iter(argv)
    for a in it:
        if a in ("-q", "-qa", "--query"):
            query = True
        elif a in ("--qf", "--queryformat"):
            qf = next(it, "")
        elif a.startswith("--qf="):
            qf = a.split("=", 1)[1]
        elif not a.startswith("-"):
            names.append(a)
    if not query:
        raise host.ToolError("rpm: only queries are emulated", 1)
    db = pkgdb.load()
    rc = 0
    for n in names:
        e = db["installed"].get(n)
        if not e:
            print("package %s is not installed" % n)
            rc = 1
            continue
        ver, _, rel = e["version"].partition("-")
        if qf:
            sys.stdout.write(qf.replace("%{VERSION}", ver).replace("%{RELEASE}", rel).replace("%{NAME}", n)
                             .replace("\\n", "\n"))
        else:
            print("%s-%s.x86_64" % (n, e["version"]))
    return rc
