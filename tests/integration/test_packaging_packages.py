"""make deb and make rpm, once per suite run (the normal build's pass): one
package per exporter in the tree, lintian and rpmlint clean, the right files
and relations; then the node .deb installed with dpkg into a scratch root
(its maintainer scripts run with DPKG_ROOT, as dpkg's chrootless mode does),
the unit's ExecStart run inside that root as the package's system user, and
scraped. systemd's sandboxing is not applied there (no systemd runs here):
tests/integration/test_packaging_files.py checks the units themselves."""

import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from harness import ROOT, SANITIZED, Skip, free_port, http_get, parse_text, wait_for  # noqa: E402

sys.path.insert(0, os.path.join(ROOT, "packaging"))
import generate  # noqa: E402

CONF = {e.name: e for e in generate.load()}
TREE = generate.in_tree()
OUT = None


def run(argv, **kw):
    return subprocess.run(argv, capture_output=True, text=True, timeout=kw.pop("timeout", 900), **kw)


def need(tool, package):
    if not shutil.which(tool):
        raise Skip(f"{tool} is not installed (Debian package {package}; scripts/install-deps test)")


def setup_module():
    global OUT
    if SANITIZED:
        raise Skip("packages are built and checked once, in the normal build's pass")
    need("dpkg-buildpackage", "dpkg-dev")
    need("dh", "debhelper")
    need("rpmbuild", "rpm")
    OUT = tempfile.mkdtemp(prefix="promc-packages-")
    for kind in ("deb", "rpm"):
        r = run([os.path.join(ROOT, "packaging", f"build-{kind}"), os.path.join(OUT, kind)])
        assert r.returncode == 0, f"build-{kind}:\n{r.stdout}{r.stderr}"


def teardown_module():
    if OUT:
        shutil.rmtree(OUT, ignore_errors=True)


def debs():
    return sorted(p for p in glob.glob(os.path.join(OUT, "deb", "*.deb")) if "-dbgsym_" not in p)


def rpms():
    return sorted(p for p in glob.glob(os.path.join(OUT, "rpm", "*.rpm")) if not p.endswith(".src.rpm"))


def deb_field(path, field):
    return run(["dpkg-deb", "-f", path, field]).stdout.strip()


def test_one_deb_and_one_rpm_per_exporter():
    want = sorted(CONF[n].package for n in TREE)
    assert sorted(deb_field(p, "Package") for p in debs()) == want
    got = sorted(run(["rpm", "-qp", "--qf", "%{NAME}", p]).stdout for p in rpms())
    assert got == want


def test_lintian_is_clean():
    need("lintian", "lintian")
    changes = glob.glob(os.path.join(OUT, "deb", "*.changes"))
    r = run(["lintian", "--pedantic", "--fail-on", "error,warning,pedantic", *changes])
    tags = [l for l in r.stdout.splitlines() if re.match(r"^[EWP]: ", l)]
    assert r.returncode == 0 and not tags, r.stdout + r.stderr


def test_rpmlint_is_clean():
    need("rpmlint", "rpmlint")
    r = run(["rpmlint", "-c", os.path.join(ROOT, "packaging", "rpm", "rpmlint.toml"), *rpms(),
             *glob.glob(os.path.join(OUT, "rpm", "*.src.rpm")), os.path.join(OUT, "rpm", "promc.spec")])
    m = re.search(r"(\d+) errors, (\d+) warnings", r.stdout)
    assert m and m.groups() == ("0", "0") and r.returncode == 0, r.stdout + r.stderr


def test_rpmlint_sees_a_problem_the_filters_do_not_hide():
    """Without the configuration's filters rpmlint reports the justified
    findings, so the clean run above is the filters' doing, not a blind lint."""
    need("rpmlint", "rpmlint")
    r = run(["rpmlint", *rpms()])
    assert r.returncode != 0 and "no-signature" in r.stdout, r.stdout


def test_deb_contents_and_relations():
    for path in debs():
        pkg = deb_field(path, "Package")
        e = next(x for x in CONF.values() if x.package == pkg)
        files = run(["dpkg-deb", "-c", path]).stdout
        for f in (f"./usr/bin/{e.name}", f"./lib/systemd/system/{e.package}.service",
                  f"./usr/lib/sysusers.d/{e.package}.conf", f"./usr/share/man/man1/{e.name}.1.gz",
                  f"./usr/share/doc/{e.package}/examples/{e.package}.socket"):
            assert f in files, (pkg, f)
        assert re.search(rf"^-rw------- root/root .* \./etc/default/{e.package}$", files, re.M), (pkg, files)
        for repl in e.replaces:
            assert repl in deb_field(path, "Conflicts") and repl in deb_field(path, "Replaces"), pkg
            if e.provides:
                assert deb_field(path, "Provides") == f"{repl} (= {e.provides})", pkg
        if e.name == "node_exporter":
            assert "./var/lib/prometheus/node-exporter/" in files
    for path in rpms():
        name = run(["rpm", "-qp", "--qf", "%{NAME}", path]).stdout
        e = next(x for x in CONF.values() if x.package == name)
        files = run(["rpm", "-qlp", path]).stdout.split()
        for f in (f"/usr/bin/{e.name}", f"/usr/lib/systemd/system/{e.package}.service",
                  f"/etc/sysconfig/{e.package}", f"/usr/lib/sysusers.d/{e.package}.conf"):
            assert f in files, (name, f)
        conflicts = run(["rpm", "-qp", "--conflicts", path]).stdout.split()
        assert set(e.replaces + e.conflicts_rpm) <= set(conflicts), (name, conflicts)


def test_node_deb_installs_runs_its_exec_start_as_its_user_and_purges():
    """dpkg --root: the node package into an empty root (maintainer scripts
    chrootless, DPKG_ROOT set: systemd-sysusers --root makes the user there,
    deb-systemd-helper enables the unit there). The host's passwd and systemd
    configuration are untouched. Then the unit's ExecStart, with ARGS from the
    installed defaults file, runs chrooted in that root (the host's libraries,
    /proc and /sys bind-mounted in a private mount namespace) as the
    package's user, reads a textfile from the package's textfile directory,
    and is scraped."""
    if "node_exporter" not in TREE:
        raise Skip("no node_exporter in the tree")
    for tool in ("unshare", "chroot", "mount"):
        need(tool, "util-linux")
    deb = next(p for p in debs() if deb_field(p, "Package") == "promc-node-exporter")
    root = tempfile.mkdtemp(prefix="promc-root-")
    os.chmod(root, 0o755)  # the root directory, for the package's user too
    passwd_before = open("/etc/passwd").read()
    dpkg = ["dpkg", f"--root={root}", "--force-script-chrootless", "--force-depends", "--log=/dev/null"]
    try:
        for d in ("var/lib/dpkg/info", "var/lib/dpkg/updates", "var/lib/dpkg/triggers", "etc"):
            os.makedirs(os.path.join(root, d))
        open(os.path.join(root, "var/lib/dpkg/status"), "w").close()
        r = run(dpkg + ["-i", deb])
        assert r.returncode == 0, r.stdout + r.stderr
        assert open("/etc/passwd").read() == passwd_before, "the host's /etc/passwd changed"

        user = [l.split(":") for l in open(os.path.join(root, "etc/passwd")) if l.startswith("promc-node:")]
        assert user, open(os.path.join(root, "etc/passwd")).read()
        uid, gid = int(user[0][2]), int(user[0][3])
        assert uid != 0 and user[0][6].strip() == "/usr/sbin/nologin"
        assert os.path.islink(os.path.join(
            root, "etc/systemd/system/multi-user.target.wants/promc-node-exporter.service"))

        unit = open(os.path.join(root, "lib/systemd/system/promc-node-exporter.service")).read()
        assert re.search(r"^User=promc-node$", unit, re.M)
        defaults = open(os.path.join(root, "etc/default/promc-node-exporter")).read()
        exec_start = re.search(r"^ExecStart=(.*)$", unit, re.M).group(1)
        args = re.search(r'^ARGS="(.*)"$', defaults, re.M).group(1)
        argv = exec_start.replace("$ARGS", args).split()
        assert argv[0] == "/usr/bin/node_exporter"
        assert "--collector.textfile.directory=/var/lib/prometheus/node-exporter" in argv, argv

        textdir = os.path.join(root, "var/lib/prometheus/node-exporter")
        with open(os.path.join(textdir, "smoke.prom"), "w") as f:
            f.write("# TYPE promc_package_smoke gauge\npromc_package_smoke 42\n")
        os.chmod(os.path.join(textdir, "smoke.prom"), 0o644)

        port = free_port()
        mounts = []
        for host, inside in (("/usr/lib/x86_64-linux-gnu", "usr/lib/x86_64-linux-gnu"),
                             ("/usr/lib/x86_64-linux-gnu", "lib/x86_64-linux-gnu"),
                             ("/lib64", "lib64"), ("/proc", "proc"), ("/sys", "sys")):
            if not os.path.exists(host):
                continue
            os.makedirs(os.path.join(root, inside), exist_ok=True)
            mounts.append(f"mount --rbind {host} {root}/{inside}")
        script = " && ".join(mounts + [
            f'exec chroot --userspec={uid}:{gid} --groups={gid} {root} "$@"'])
        proc = subprocess.Popen(["unshare", "-m", "--propagation", "private", "sh", "-c", script, "sh",
                                 *argv, f"--web.listen-address=127.0.0.1:{port}"],
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        try:
            def up():
                if proc.poll() is not None:
                    raise AssertionError(f"ExecStart exited {proc.returncode}: {proc.stdout.read().decode()}")
                return http_get(port, "/metrics")
            resp = wait_for(up, timeout=20, what="the installed node_exporter")
            fams = parse_text(resp.text)
            assert fams["promc_package_smoke"].value() == 42
            assert fams["node_textfile_scrape_error"].value() == 0
            assert "node_load1" in fams and "node_cpu_seconds_total" in fams
            # It runs as the package's user (the exporter is the chroot's child).
            pids = run(["pgrep", "-f", f"127.0.0.1:{port}"]).stdout.split()
            uids = {open(f"/proc/{p}/status").read().split("\nUid:\t")[1].split()[0] for p in pids
                    if os.path.exists(f"/proc/{p}/status")}
            assert str(uid) in uids, (uids, uid)
        finally:
            proc.terminate()
            proc.wait(10)

        r = run(dpkg + ["--purge", "promc-node-exporter"])
        assert r.returncode == 0, r.stdout + r.stderr
        for gone in ("usr/bin/node_exporter", "etc/default/promc-node-exporter",
                     "lib/systemd/system/promc-node-exporter.service",
                     "etc/systemd/system/multi-user.target.wants/promc-node-exporter.service"):
            assert not os.path.lexists(os.path.join(root, gone)), gone
        assert open("/etc/passwd").read() == passwd_before
    finally:
        shutil.rmtree(root, ignore_errors=True)
