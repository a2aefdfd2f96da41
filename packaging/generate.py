#!/usr/bin/env python3
"""Make the per-exporter packaging files from packaging/exporters.conf.

    packaging/generate.py                 rewrite the committed files (systemd
                                          units, defaults, sysusers, Dockerfiles)
    packaging/generate.py --check         exit 1, naming them, if any is stale
    packaging/generate.py debian DIR      a debian/ directory for the exporters
                                          in the tree (make deb)
    packaging/generate.py rpmspec FILE    the RPM spec for them (make rpm)
    packaging/generate.py exporters       the exporters in the tree, one a line
    packaging/generate.py runtime-packages BINARY...
                                          record the binaries' shared libraries
                                          and packages (ldd, dpkg -S), then
                                          rewrite the committed files

The exporters in the tree are the directories with a main.c, as the Makefile
finds them; the committed files cover every section of exporters.conf, so an
exporter's units and image exist before its directory is merged. Python's
standard library only."""

import configparser
import datetime
import glob
import os
import re
import subprocess
import sys
import textwrap

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
ROOT = os.path.dirname(HERE)
PRODUCT = "promc"
MAINTAINER = "promc maintainers <maintainers@users.noreply.b-seed-48035abe.example>"
HOMEPAGE_DOC = "man:{name}(1)"


def deb_paragraph(text):
    """A paragraph of a Debian extended description: lines under 80 columns, one space in."""
    return "\n".join(" " + l for l in textwrap.wrap(text, 78))


class Exporter:
    def __init__(self, name, sec):
        self.name = name
        self.port = int(sec["port"])
        self.listen_flag = sec["listen_flag"]
        self.short = sec["short"]
        self.summary = sec["summary"]
        self.profile = sec["profile"]
        assert self.profile in ("host", "client"), name
        self.args = sec.get("args", "").strip()
        self.env = [l.strip() for l in sec.get("env", "").strip().splitlines() if l.strip()]
        self.replaces = sec.get("replaces", "").split()
        self.provides = sec.get("provides", "").strip()
        self.conflicts_deb = sec.get("conflicts_deb", "").split()
        self.conflicts_rpm = sec.get("conflicts_rpm", "").split()
        self.capabilities = sec.get("capabilities", "").split()
        self.backend = sec.get("backend", "").strip()
        self.dlopen = sec.get("dlopen", "").split()

    @property
    def package(self):
        return f"{PRODUCT}-{self.short}-exporter"

    @property
    def user(self):
        return f"{PRODUCT}-{self.short}"

    @property
    def image(self):
        return f"{PRODUCT}/{self.short}-exporter"


def load():
    cp = configparser.ConfigParser(interpolation=None)
    cp.read(os.path.join(HERE, "exporters.conf"))
    return [Exporter(n, cp[n]) for n in cp.sections()]


def in_tree():
    """Exporter directories of the tree (a main.c), as the Makefile finds them."""
    return sorted(os.path.basename(os.path.dirname(p)) for p in glob.glob(os.path.join(ROOT, "*", "main.c")))


def pkgconfig_names(names):
    """pkg-config packages the build of these exporters uses: the Makefile's
    COMMON_PKGS and each <name>/build.mk's <name>_PKGS."""
    found = []
    sources = [(os.path.join(ROOT, "Makefile"), "COMMON_PKGS")]
    sources += [(os.path.join(ROOT, n, "build.mk"), f"{n}_PKGS") for n in names]
    for path, var in sources:
        if not os.path.exists(path):
            continue
        for line in open(path):
            m = re.match(rf"^{re.escape(var)}\s*[:+]?=(.*)$", line)
            if m:
                found += [w for w in m.group(1).split() if w not in found]
    return found


def debian_dev_packages(names):
    """The Debian -dev packages holding the .pc files of pkgconfig_names()."""
    pkgs = []
    for pc in pkgconfig_names(names):
        d = subprocess.run(["pkg-config", "--variable=pcfiledir", pc], capture_output=True, text=True)
        if d.returncode != 0:
            sys.exit(f"pkg-config does not know {pc}: install its -dev package (scripts/install-deps build)")
        path = os.path.realpath(os.path.join(d.stdout.strip(), pc + ".pc"))
        owner = subprocess.run(["dpkg-query", "-S", path], capture_output=True, text=True)
        if owner.returncode != 0:
            owner = subprocess.run(["dpkg-query", "-S", path.replace("/usr/lib/", "/lib/", 1)],
                                   capture_output=True, text=True)
        pkg = owner.stdout.split(":")[0].strip()
        if not pkg:
            sys.exit(f"no Debian package owns {path}")
        if pkg not in pkgs:
            pkgs.append(pkg)
    return pkgs


RUNTIME_CONF = os.path.join(HERE, "runtime-packages.conf")


def runtime_conf():
    cp = configparser.ConfigParser(interpolation=None)
    cp.read(RUNTIME_CONF)
    for sec in ("libraries", "packages"):
        if not cp.has_section(sec):
            cp.add_section(sec)
    return cp


def runtime_packages():
    """{exporter: [Debian packages of its shared libraries]} from
    packaging/runtime-packages.conf (checked against ldd by the tests)."""
    cp = runtime_conf()
    return {n: cp["packages"][n].split() for n in cp["packages"]}


def runtime_libraries():
    """{exporter: [sonames it names]} from packaging/runtime-packages.conf."""
    cp = runtime_conf()
    return {n: cp["libraries"][n].split() for n in cp["libraries"]}


def update_runtime(binaries):
    """Record the libraries and packages of the given built binaries."""
    import libdeps
    cp = runtime_conf()
    for b in binaries:
        name = os.path.basename(b)
        rows = libdeps.libraries(b)
        cp["libraries"][name] = " ".join(soname for soname, _, _ in rows)
        cp["packages"][name] = " ".join(sorted({pkg for _, _, pkg in rows}))
    with open(RUNTIME_CONF, "w") as f:
        f.write("# The shared libraries each exporter names (ELF NEEDED) and their Debian\n"
                "# packages (ldd, dpkg -S) on Debian 12: written by\n"
                "#   packaging/generate.py runtime-packages bin/<exporter>...\n"
                "# and checked against the built binaries by tests/integration/test_packaging_images.py.\n"
                "# The images' runtime stages and README.md's table come from here.\n")
        cp.write(f)


README_BEGIN = "<!-- runtime-libraries: generated by packaging/generate.py -->\n"
README_END = "<!-- end of runtime-libraries -->\n"


def readme_table():
    libs, pkgs = runtime_libraries(), runtime_packages()
    dl = {e.name: e.dlopen for e in load()}
    rows = ["| binary | shared libraries (NEEDED) | Debian 12 packages |", "|---|---|---|"]
    for name in sorted(libs):
        extra = f" (+ {', '.join(dl[name])} loaded with dlopen)" if dl.get(name) else ""
        rows.append(f"| `{name}` | {', '.join(libs[name])} | {', '.join(pkgs[name])}{extra} |")
    return README_BEGIN + "\n".join(rows) + "\n" + README_END


def readme_with_table(text):
    a, b = text.find(README_BEGIN), text.find(README_END)
    if a < 0 or b < 0:
        raise SystemExit(f"README.md lacks the markers {README_BEGIN.strip()} ... {README_END.strip()}")
    return text[:a] + readme_table() + text[b + len(README_END):]


# ---- systemd ----

COMMON_HARDENING = """\
NoNewPrivileges=yes
ProtectSystem=strict
ProtectHome={protect_home}
PrivateTmp=yes
PrivateDevices=yes
DevicePolicy=closed
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
ProtectClock=yes
ProtectHostname=yes
RestrictNamespaces=yes
RestrictRealtime=yes
RestrictSUIDSGID=yes
LockPersonality=yes
MemoryDenyWriteExecute=yes
RemoveIPC=yes
KeyringMode=private
UMask=0077
RestrictAddressFamilies={families}
SystemCallArchitectures=native
SystemCallFilter=@system-service
SystemCallFilter=~@privileged @resources
SystemCallErrorNumber=EPERM
"""


def hardening(e):
    lines = []
    if e.capabilities:
        caps = " ".join(e.capabilities)
        lines.append(f"# {caps}: read every container's cgroup and /proc/<pid> files, as cAdvisor (root) does.")
        lines.append(f"CapabilityBoundingSet={caps}")
        lines.append(f"AmbientCapabilities={caps}")
    else:
        lines.append("CapabilityBoundingSet=")
        lines.append("AmbientCapabilities=")
    if e.profile == "host":
        # The filesystem collector statfs()es the host's mounts, /home too;
        # /proc/<pid> of other users stays visible (PID 1's mount table).
        protect_home, families = "read-only", "AF_UNIX AF_INET AF_INET6 AF_NETLINK"
    else:
        protect_home, families = "yes", "AF_UNIX AF_INET AF_INET6"
    text = "\n".join(lines) + "\n" + COMMON_HARDENING.format(protect_home=protect_home, families=families)
    if e.profile == "client":
        text += "ProtectProc=invisible\nProcSubset=pid\nPrivateUsers=yes\nPrivateIPC=yes\n"
    return text


def unit(e, socket):
    exec_args = "--web.systemd-socket $ARGS" if socket else "$ARGS"
    unit_deps = (f"Requires={e.package}.socket\nAfter={e.package}.socket network-online.target\n"
                 if socket else "After=network-online.target\n")
    install = "" if socket else "\n[Install]\nWantedBy=multi-user.target\n"
    return f"""\
# {'Socket-activated variant: ' if socket else ''}generated by packaging/generate.py from packaging/exporters.conf.
[Unit]
Description=Prometheus exporter: {e.summary} ({PRODUCT} {e.name})
Documentation=man:{e.name}(1)
Wants=network-online.target
{unit_deps}
[Service]
Type=simple
User={e.user}
Group={e.user}
Environment=ARGS=
EnvironmentFile=-/etc/default/{e.package}
EnvironmentFile=-/etc/sysconfig/{e.package}
ExecStart=/usr/bin/{e.name} {exec_args}
Restart=on-failure
RestartSec=2s
TimeoutStopSec=20s
{hardening(e)}{install}"""


def socket_unit(e):
    return f"""\
# Generated by packaging/generate.py from packaging/exporters.conf.
[Unit]
Description=Socket of the Prometheus exporter: {e.summary} ({PRODUCT} {e.name})
Documentation=man:{e.name}(1)

[Socket]
ListenStream={e.port}

[Install]
WantedBy=sockets.target
"""


def defaults(e):
    lines = [
        f"# Flags of {e.name} (see {e.name}(1)), read by {e.package}.service.",
        f"# Installed as /etc/default/{e.package} (Debian) or /etc/sysconfig/{e.package} (RPM).",
        f'ARGS="{e.args}"',
    ]
    lines += e.env
    return "\n".join(lines) + "\n"


def sysusers(e):
    return (f"# {e.package}: the system user its service runs as (systemd-sysusers).\n"
            f'u {e.user} - "{PRODUCT} {e.name}" / /usr/sbin/nologin\n')


# ---- images ----

def dockerfile(e, pkgs):
    pkg_lines = " \\\n        ".join(pkgs) if pkgs else "ca-certificates"
    health = (f"exec 3<>/dev/tcp/127.0.0.1/{e.port} && printf 'GET /-/healthy HTTP/1.0\\\\r\\\\n\\\\r\\\\n' >&3 "
              f"&& head -n1 <&3 | grep -q ' 200 '")
    return f"""\
# {e.name} on Debian 12. Generated by packaging/generate.py from
# packaging/exporters.conf and packaging/runtime-packages.conf (the Debian
# packages of the binary's shared libraries, which the tests derive with ldd
# and dpkg -S). Build from the top of the source tree:
#   docker build -f packaging/docker/{e.name}.Dockerfile -t {e.image} .
FROM debian:12 AS build
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
WORKDIR /src
COPY scripts/install-deps scripts/install-deps
RUN scripts/install-deps build && rm -rf /var/lib/apt/lists/*
COPY Makefile VERSION ./
COPY common common
COPY {e.name} {e.name}
RUN make -j"$(nproc)" bin/{e.name} && strip bin/{e.name}

FROM debian:12-slim
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
# Unpinned: the image takes Debian 12's security updates of these libraries,
# and a pinned version leaves the mirrors at the next point release.
# hadolint ignore=DL3008
RUN apt-get update \\
    && apt-get install -y --no-install-recommends \\
        {pkg_lines} \\
    && rm -rf /var/lib/apt/lists/* \\
    && useradd --system --uid 10001 --user-group --no-create-home --home-dir /nonexistent \\
        --shell /usr/sbin/nologin exporter
COPY --from=build /src/bin/{e.name} /usr/bin/{e.name}
USER 10001:10001
EXPOSE {e.port}
# bash's /dev/tcp: no HTTP client in the image.
HEALTHCHECK --interval=30s --timeout=5s CMD ["/bin/bash", "-c", "{health}"]
ENTRYPOINT ["/usr/bin/{e.name}"]
"""


def image_packages(e, pkgs=None):
    """What an image's runtime stage installs: the packages of the binary's
    shared libraries and of those it loads with dlopen."""
    pkgs = runtime_packages() if pkgs is None else pkgs
    return sorted(set(pkgs.get(e.name, [])) | set(e.dlopen))


def prometheus_rule():
    """packaging/prometheus/rules/*.rules.yml as one PrometheusRule."""
    groups = []
    for path in sorted(glob.glob(os.path.join(HERE, "prometheus", "rules", "*.rules.yml"))):
        text = open(path).read()
        body = text[text.index("\ngroups:\n") + len("\ngroups:\n"):]
        groups.append("".join("  " + l if l.strip() else l for l in body.splitlines(True)))
    return ("# The alert rules of packaging/prometheus/rules for the Prometheus Operator.\n"
            "# Generated by packaging/generate.py: edit the rule files, not this.\n"
            "apiVersion: monitoring.coreos.com/v1\nkind: PrometheusRule\nmetadata:\n"
            "  name: promc\n  namespace: monitoring\n  labels:\n    app.kubernetes.io/part-of: promc\n"
            "spec:\n  groups:\n" + "".join(groups))


def committed_files(exporters=None):
    """{path relative to ROOT: content} of every generated committed file."""
    exporters = exporters or load()
    pkgs = runtime_packages()
    out = {}
    for e in exporters:
        out[f"packaging/systemd/{e.package}.service"] = unit(e, socket=False)
        out[f"packaging/systemd/socket-activated/{e.package}.service"] = unit(e, socket=True)
        out[f"packaging/systemd/socket-activated/{e.package}.socket"] = socket_unit(e)
        out[f"packaging/default/{e.package}"] = defaults(e)
        out[f"packaging/sysusers/{e.package}.conf"] = sysusers(e)
        out[f"packaging/docker/{e.name}.Dockerfile"] = dockerfile(e, image_packages(e, pkgs))
    import dashboards
    out.update(dashboards.files())
    out["packaging/kubernetes/prometheusrule.yaml"] = prometheus_rule()
    readme = os.path.join(ROOT, "README.md")
    out["README.md"] = readme_with_table(open(readme).read())
    return out


# ---- Debian ----

def version():
    return open(os.path.join(ROOT, "VERSION")).read().strip()


def deb_relations(e):
    rel = {}
    conflicts = e.replaces + e.conflicts_deb
    if conflicts:
        rel["Conflicts"] = ", ".join(conflicts)
    if e.replaces:
        rel["Replaces"] = ", ".join(e.replaces)
        if e.provides:
            rel["Provides"] = ", ".join(f"{r} (= {e.provides})" for r in e.replaces)
    return rel


def debian(outdir, names):
    exporters = [e for e in load() if e.name in names]
    missing = set(names) - {e.name for e in exporters}
    if missing:
        sys.exit(f"no section in packaging/exporters.conf for {', '.join(sorted(missing))}")
    d = os.path.join(outdir, "debian")
    os.makedirs(os.path.join(d, "source"), exist_ok=True)
    ver = version()
    stanzas = [f"""\
Source: {PRODUCT}
Section: net
Priority: optional
Maintainer: {MAINTAINER}
Build-Depends: debhelper-compat (= 13), pkg-config,
 {", ".join(debian_dev_packages(names))}
Standards-Version: 4.6.2
Rules-Requires-Root: no
"""]
    for e in exporters:
        rel = "".join(f"{k}: {v}\n" for k, v in deb_relations(e).items())
        stanzas.append(f"""\
Package: {e.package}
Architecture: any
Depends: ${{shlibs:Depends}}, ${{misc:Depends}}
{"Recommends: " + ", ".join(e.dlopen) + chr(10) if e.dlopen else ""}{rel}Description: Prometheus exporter for {e.summary}
{deb_paragraph(f"{e.name} is a drop-in replacement for the Go exporter it follows: the same metric names, labels, flags and default port ({e.port}), with a fraction of its CPU and memory. Part of {PRODUCT}, small Prometheus exporters written in C.")}
 .
 The service runs as the system user {e.user}, hardened by systemd;
 its flags are in /etc/default/{e.package}.
""")
    write(os.path.join(d, "control"), "\n".join(stanzas))
    date = datetime.datetime.fromtimestamp(int(os.environ.get("SOURCE_DATE_EPOCH", "0")) or
                                           os.path.getmtime(os.path.join(ROOT, "VERSION")),
                                           datetime.timezone.utc).strftime("%a, %d %b %Y %H:%M:%S +0000")
    write(os.path.join(d, "changelog"), f"""\
{PRODUCT} ({ver}-1) unstable; urgency=medium

  * Release {ver}.

 -- {MAINTAINER}  {date}
""")
    write(os.path.join(d, "source", "format"), "3.0 (native)\n")
    for name in ("rules", "copyright"):
        with open(os.path.join(HERE, "debian", name)) as f:
            write(os.path.join(d, name), f.read(), 0o755 if name == "rules" else 0o644)
    for e in exporters:
        p = os.path.join(d, e.package)
        write(p + ".install", f"bin/{e.name} usr/bin\n")
        write(p + ".manpages", f"man/{e.name}.1\n")
        write(p + ".service", unit(e, socket=False))
        write(p + ".default", defaults(e))
        write(p + ".sysusers", sysusers(e))
        write(p + ".examples", f"packaging/systemd/socket-activated/{e.package}.service\n"
                               f"packaging/systemd/socket-activated/{e.package}.socket\n")
        if e.name == "node_exporter":
            write(p + ".dirs", "var/lib/prometheus/node-exporter\n")
        overrides = os.path.join(HERE, "debian", e.package + ".lintian-overrides")
        extra = open(overrides).read() if os.path.exists(overrides) else ""
        write(p + ".lintian-overrides", f"""\
# The defaults file may hold a data source's password: root only.
non-standard-file-perm 0600 != 0644 [etc/default/{e.package}]
# Not an upload to Debian: there is no ITP bug to close.
initial-upload-closes-no-bugs
{extra}""")


# ---- RPM ----

def rpm_description(e):
    return textwrap.fill(
        f"{e.name} is a drop-in replacement for the Go exporter of the same name, with the same metric "
        f"names, labels, flags and default port ({e.port}), with a fraction of its CPU and memory. "
        f"The service runs as the system user {e.user}, hardened by systemd; its flags are in "
        f"/etc/sysconfig/{e.package}.", 76)


def rpmspec(path, names):
    exporters = [e for e in load() if e.name in names]
    with open(os.path.join(HERE, "rpm", f"{PRODUCT}.spec.in")) as f:
        template = f.read()
    parts = []
    for e in exporters:
        conflicts = " ".join(e.replaces + e.conflicts_rpm)
        rel = f"Conflicts:      {conflicts}\n" if conflicts else ""
        textfile_dir = "%dir /var/lib/prometheus\n%dir /var/lib/prometheus/node-exporter\n" \
            if e.name == "node_exporter" else ""
        parts.append(f"""\
%package -n {e.package}
Summary:        Prometheus exporter for {e.summary}
{rel}%{{?systemd_requires}}
Requires(pre):  systemd

%description -n {e.package}
{rpm_description(e)}

%pre -n {e.package}
systemd-sysusers - <<'EOF' >/dev/null 2>&1 || :
{sysusers(e).splitlines()[1]}
EOF

%post -n {e.package}
%systemd_post {e.package}.service

%preun -n {e.package}
%systemd_preun {e.package}.service

%postun -n {e.package}
%systemd_postun_with_restart {e.package}.service

%files -n {e.package}
%{{_bindir}}/{e.name}
%{{_mandir}}/man1/{e.name}.1*
%{{_unitdir}}/{e.package}.service
%{{_sysusersdir}}/{e.package}.conf
%config(noreplace) %attr(0600,root,root) %{{_sysconfdir}}/sysconfig/{e.package}
%doc examples/{e.package}.service examples/{e.package}.socket
{textfile_dir}""")
    buildreq = "".join(f"BuildRequires:  pkgconfig({pc})\n" for pc in pkgconfig_names([e.name for e in exporters]))
    spec = template.replace("@VERSION@", version()) \
        .replace("@BUILDREQUIRES@\n", buildreq) \
        .replace("@EXPORTERS@", " ".join(e.name for e in exporters)) \
        .replace("@PACKAGES@", "\n".join(parts))
    write(path, spec)


def write(path, text, mode=0o644):
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)


def main(argv):
    if len(argv) > 1 and argv[1] == "maintainer":
        print(MAINTAINER)
        return 0
    if len(argv) > 1 and argv[1] == "exporters":
        print("\n".join(in_tree()))
        return 0
    if len(argv) > 2 and argv[1] == "debian":
        debian(argv[2], argv[3:] or in_tree())
        return 0
    if len(argv) > 2 and argv[1] == "runtime-packages":
        update_runtime(argv[2:])
        argv = argv[:1]
    elif len(argv) > 2 and argv[1] == "rpmspec":
        rpmspec(argv[2], argv[3:] or in_tree())
        return 0
    files = committed_files()
    if len(argv) > 1 and argv[1] == "--check":
        stale = []
        for rel, text in files.items():
            p = os.path.join(ROOT, rel)
            if not os.path.exists(p) or open(p).read() != text:
                stale.append(rel)
        if stale:
            print("stale (run packaging/generate.py): " + " ".join(stale))
            return 1
        return 0
    if len(argv) > 1:
        print(__doc__, file=sys.stderr)
        return 2
    for rel, text in files.items():
        write(os.path.join(ROOT, rel), text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
