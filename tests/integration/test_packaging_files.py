"""packaging/ without building packages: every exporter in the tree has its
pieces, the generated files are up to date, and each form is checked by the
tool its users would run: systemd-analyze (units), promtool (rules, their unit
tests, the Prometheus configuration), hadolint (Dockerfiles), ldd + dpkg -S
(the images' runtime libraries), docker-compose config (compose.yaml),
kubernetes-validate --strict plus prometheus-operator's CRD schemas
(Kubernetes). Each checker is also shown to fail on a doctored file."""

import contextlib
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from harness import BINDIR, ROOT, SANITIZED, Exporter, Skip, free_port, promtool  # noqa: E402
import pytools  # noqa: E402

PKG = os.path.join(ROOT, "packaging")
sys.path.insert(0, PKG)
import generate  # noqa: E402
import libdeps  # noqa: E402

CONF = {e.name: e for e in generate.load()}
TREE = generate.in_tree()


def run(argv, **kw):
    return subprocess.run(argv, capture_output=True, text=True, timeout=kw.pop("timeout", 300), **kw)


@contextlib.contextmanager
def doctored(rel, edit, name=None):
    """A copy of packaging/<rel> changed by edit(text), in a scratch directory."""
    tmp = tempfile.mkdtemp(prefix="doctored-")
    try:
        path = os.path.join(tmp, name or os.path.basename(rel))
        with open(path, "w") as f:
            f.write(edit(open(os.path.join(PKG, rel)).read()))
        yield path
    finally:
        shutil.rmtree(tmp)


def built():
    """Exporters of the tree whose binary is built in BINDIR."""
    return [n for n in TREE if os.access(os.path.join(BINDIR, n), os.X_OK)]


# ---- the list of exporters ----

def test_every_exporter_of_the_tree_is_in_exporters_conf():
    missing = [n for n in TREE if n not in CONF]
    assert not missing, f"add a section to packaging/exporters.conf for: {missing}"
    assert len(TREE) >= 3, TREE


def test_ports_and_listen_flags_are_the_binaries_own():
    for name in built():
        out = run([os.path.join(BINDIR, name), "--help"]).stdout
        e = CONF[name]
        m = re.search(rf"^\s+{re.escape(e.listen_flag)}=\S+.*\(default: \":(\d+)\"\)", out, re.M)
        assert m, f"{name} --help has no {e.listen_flag} with a default port:\n{out[:2000]}"
        assert int(m.group(1)) == e.port, f"{name}: --help says port {m.group(1)}, exporters.conf {e.port}"


def test_generated_files_are_up_to_date():
    r = run([sys.executable, os.path.join(PKG, "generate.py"), "--check"])
    assert r.returncode == 0, r.stdout + r.stderr


def test_the_staleness_check_catches_an_edited_unit():
    unit = os.path.join(PKG, "systemd", "promc-node-exporter.service")
    files = generate.committed_files()
    rel = os.path.relpath(unit, ROOT)
    assert files[rel] == open(unit).read()
    assert files[rel].replace("ProtectSystem=strict", "ProtectSystem=full") != files[rel]


def test_every_exporter_has_every_piece():
    compose = open(os.path.join(PKG, "compose.yaml")).read()
    prom = open(os.path.join(PKG, "prometheus", "prometheus.yml")).read()
    problems = []
    for name, e in CONF.items():
        want = [
            f"systemd/{e.package}.service", f"systemd/socket-activated/{e.package}.service",
            f"systemd/socket-activated/{e.package}.socket", f"default/{e.package}", f"sysusers/{e.package}.conf",
            f"docker/{name}.Dockerfile", f"grafana/dashboards/{name}.json",
            f"prometheus/rules/{e.short}.rules.yml", f"prometheus/tests/{e.short}.test.yml",
        ]
        problems += [f"{name}: no packaging/{w}" for w in want if not os.path.exists(os.path.join(PKG, w))]
        if f"dockerfile: packaging/docker/{name}.Dockerfile" not in compose:
            problems.append(f"{name}: no service in compose.yaml")
        if f"- job_name: {e.short}\n" not in prom or f":{e.port}']" not in prom:
            problems.append(f"{name}: no job {e.short} on port {e.port} in prometheus.yml")
        k8s = "".join(open(p).read() for p in glob.glob(os.path.join(PKG, "kubernetes", "*.yaml")))
        if f"image: {e.image}:" not in k8s or f"promc.io/job: {e.short}\n" not in k8s:
            problems.append(f"{name}: no Kubernetes workload with image {e.image} and job {e.short}")
    assert not problems, "\n".join(problems)


# ---- systemd ----

def units():
    return sorted(glob.glob(os.path.join(PKG, "systemd", "*.service")) +
                  glob.glob(os.path.join(PKG, "systemd", "socket-activated", "*.service")))


def security_score(path):
    if not shutil.which("systemd-analyze"):
        raise Skip("systemd-analyze is not installed")
    r = run(["systemd-analyze", "security", "--offline=yes", "--no-pager", path])
    m = re.search(r"Overall exposure level for \S+: (\d+\.\d+) (\w+)", r.stdout)
    assert m, r.stdout + r.stderr
    return float(m.group(1)), r.stdout


def test_units_are_hardened():
    scores = []
    for path in units():
        text = open(path).read()
        for directive in ("NoNewPrivileges=yes", "ProtectSystem=strict", "PrivateTmp=yes",
                          "SystemCallFilter=@system-service", "RestrictAddressFamilies=", "User=promc-"):
            assert f"\n{directive}" in text, f"{path}: no {directive}"
        assert re.search(r"^ProtectHome=(yes|read-only)$", text, re.M), path
        name = os.path.basename(path)[:-len(".service")]
        e = next(x for x in CONF.values() if x.package == name)
        caps = re.search(r"^CapabilityBoundingSet=(.*)$", text, re.M).group(1).split()
        assert caps == e.capabilities, f"{path}: capabilities {caps}, exporters.conf {e.capabilities}"
        score, out = security_score(path)
        # 0 is a perfect sandbox, 10 none; "OK" is up to 3.9.
        limit = 2.5 if e.capabilities else 2.0
        assert score <= limit, f"{path}: exposure {score} > {limit}\n{out}"
        scores.append(f"{os.path.relpath(path, PKG)} {score}")
    print("systemd-analyze security: " + ", ".join(scores))


def test_security_score_tells_a_hardened_unit_from_a_bare_one():
    tmp = tempfile.mkdtemp(prefix="unit-")
    try:
        bare = os.path.join(tmp, "bare.service")
        with open(bare, "w") as f:
            f.write("[Service]\nExecStart=/usr/bin/node_exporter\n")
        score, _ = security_score(bare)
        hardened, _ = security_score(os.path.join(PKG, "systemd", "promc-node-exporter.service"))
        assert score > 8 and hardened < score - 5, (score, hardened)
    finally:
        shutil.rmtree(tmp)


def exec_start(unit_text, defaults_text):
    """The unit's ExecStart argv with $ARGS from the defaults file."""
    line = re.search(r"^ExecStart=(.*)$", unit_text, re.M).group(1)
    args = re.search(r'^ARGS="(.*)"$', defaults_text, re.M).group(1)
    return line.replace("$ARGS", args).split()


def test_socket_activated_exec_start_serves_on_the_passed_socket():
    """ExecStart of the socket-activated variant under systemd-socket-activate,
    which passes the listening socket as systemd does (LISTEN_FDS)."""
    activate = shutil.which("systemd-socket-activate")
    if not activate:
        raise Skip("systemd-socket-activate (package systemd) is not installed")
    for name in built():
        e = CONF[name]
        sock = open(os.path.join(PKG, "systemd", "socket-activated", e.package + ".socket")).read()
        assert f"\nListenStream={e.port}\n" in sock
        unit = open(os.path.join(PKG, "systemd", "socket-activated", e.package + ".service")).read()
        assert f"Requires={e.package}.socket" in unit
        argv = exec_start(unit, "ARGS=\"\"\n")
        assert argv[:2] == [f"/usr/bin/{name}", "--web.systemd-socket"], argv
        binary = os.path.join(BINDIR, name)
        # Without LISTEN_FDS the binary says no socket was passed.
        probe = run([binary, "--web.systemd-socket"], timeout=10)
        said = probe.stdout + probe.stderr
        assert probe.returncode == 2 and "systemd" in said, f"{name} --web.systemd-socket without sockets: {said}"
        # Our binary in place of /usr/bin, the unit's flags otherwise; node's
        # textfile directory need not exist.
        port = free_port()
        proc = subprocess.Popen([activate, "-l", f"127.0.0.1:{port}", binary] + argv[1:],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            from harness import http_get, wait_for
            r = wait_for(lambda: http_get(port, "/metrics"), timeout=20, what=f"{name} on the passed socket")
            assert r.status == 200 and (f"{e.short}_" in r.text or "process_" in r.text), r.text[:300]
        finally:
            proc.terminate()
            proc.wait(10)


# ---- Prometheus: rules and configuration ----

RULES = sorted(glob.glob(os.path.join(PKG, "prometheus", "rules", "*.rules.yml")))
RULE_TESTS = sorted(glob.glob(os.path.join(PKG, "prometheus", "tests", "*.test.yml")))


def alert_names(path):
    return re.findall(r"^\s+- alert: (\w+)$", open(path).read(), re.M)


def test_promtool_check_rules():
    r = run([promtool(), "check", "rules", *RULES])
    assert r.returncode == 0, r.stdout + r.stderr
    assert sum(len(alert_names(p)) for p in RULES) >= 20


def test_promtool_test_rules_fire_and_stay_quiet():
    r = run([promtool(), "test", "rules", *RULE_TESTS])
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.count("SUCCESS") == len(RULE_TESTS), r.stdout
    # Every alert has a case where it fires and one where it stays quiet.
    tests = "".join(open(p).read() for p in RULE_TESTS)
    for path in RULES:
        for alert in alert_names(path):
            cases = re.findall(rf"alertname: {alert}\n\s+exp_alerts:(.*)", tests)
            assert any(c.strip() == "[]" for c in cases), f"{alert}: no case where it stays quiet"
            assert any(c.strip() == "" for c in cases), f"{alert}: no case where it fires"


def test_promtool_test_rules_catches_a_wrong_expectation():
    def edit(text):
        return (text.replace("../rules/", os.path.join(PKG, "prometheus", "rules") + "/")
                .replace("eval_time: 8m\n        alertname: PostgresDown", "eval_time: 3m\n        alertname: PostgresDown"))
    with doctored("prometheus/tests/pg.test.yml", edit) as path:
        r = run([promtool(), "test", "rules", path])
        assert r.returncode != 0 and "PostgresDown" in r.stdout + r.stderr, r.stdout


def test_prometheus_configuration():
    r = run([promtool(), "check", "config", "--syntax-only", os.path.join(PKG, "prometheus", "prometheus.yml")])
    assert r.returncode == 0, r.stdout + r.stderr


def test_dashboards_are_grafana_json_on_the_provisioned_datasource():
    ds = open(os.path.join(PKG, "grafana", "provisioning", "datasources", "prometheus.yml")).read()
    uid = re.search(r"^\s+uid: (\S+)$", ds, re.M).group(1)
    for name in CONF:
        d = json.load(open(os.path.join(PKG, "grafana", "dashboards", f"{name}.json")))
        assert d["uid"].startswith("promc-") and d["panels"], name
        for p in d["panels"]:
            assert p["datasource"]["uid"] == uid and p["targets"], (name, p["title"])
            for t in p["targets"]:
                assert t["expr"] and "$instance" in t["expr"], (name, p["title"], t)
        assert d["templating"]["list"][0]["name"] == "instance"


# ---- images ----

def hadolint(*paths):
    return run([pytools.tool("hadolint"), *paths])


def test_hadolint_passes_every_dockerfile():
    files = sorted(glob.glob(os.path.join(PKG, "docker", "*.Dockerfile")))
    assert len(files) == len(CONF)
    r = hadolint(*files)
    assert r.returncode == 0, r.stdout + r.stderr


def test_hadolint_catches_a_doctored_dockerfile():
    def edit(text):
        return text.replace("USER 10001:10001\n", "USER root\n").replace("WORKDIR /src", "RUN cd /src")
    with doctored("docker/node_exporter.Dockerfile", edit, "Dockerfile") as path:
        r = hadolint(path)
        assert r.returncode != 0 and "DL3002" in r.stdout and "DL3003" in r.stdout, r.stdout


def runtime_stage_packages(text):
    """The packages apt-get installs in the last stage of a Dockerfile."""
    last = text[text.rindex("\nFROM "):]
    m = re.search(r"apt-get install -y --no-install-recommends \\\n((?:\s+\S+ \\\n)+)", last)
    assert m, last
    return sorted(m.group(1).replace("\\", " ").split())


def test_images_install_exactly_the_runtime_libraries():
    """ldd + dpkg -S on each built binary give the packages its image's
    runtime stage installs (plus those it loads with dlopen), and
    runtime-packages.conf and the README's table say the same."""
    if SANITIZED:
        raise Skip("the sanitizers add their own libraries: checked with the normal build")
    names = built()
    if not names:
        raise Skip("no binary built")
    recorded = generate.runtime_packages()
    for name in names:
        e = CONF[name]
        derived = libdeps.packages(os.path.join(BINDIR, name))
        assert derived == sorted(recorded.get(name, [])), (
            f"{name} needs {derived}, packaging/runtime-packages.conf says {recorded.get(name)}: "
            f"run packaging/generate.py runtime-packages {BINDIR}/{name}")
        text = open(os.path.join(PKG, "docker", f"{name}.Dockerfile")).read()
        assert runtime_stage_packages(text) == sorted(set(derived) | set(e.dlopen)), name
        assert f"\nEXPOSE {e.port}\n" in text and "\nUSER 10001:10001\n" in text
        assert text.count("\nFROM ") == 2 and "FROM debian:12-slim" in text
    readme = open(os.path.join(ROOT, "README.md")).read()
    readme = readme[readme.index(generate.README_BEGIN):readme.index(generate.README_END)]
    for name in names:
        row = re.search(rf"^\| `{name}` \| .* \| (.*) \|$", readme, re.M)
        assert row and all(p in row.group(1) for p in recorded[name]), f"README.md's table lacks {name}"


def test_libdeps_reads_a_real_binary():
    rows = libdeps.libraries("/bin/ls")
    assert ("libc.so.6" in [r[0] for r in rows]) and "libc6" in [r[2] for r in rows], rows


def test_image_healthcheck_command_probes_healthy():
    """The HEALTHCHECK's command, run here against an exporter on a free port
    (the image runs it against the default port): exit 0 when the exporter
    answers /-/healthy with 200, non-zero when nothing listens."""
    name = "node_exporter"
    text = open(os.path.join(PKG, "docker", f"{name}.Dockerfile")).read()
    cmd = json.loads(re.search(r"^HEALTHCHECK .* CMD (\[.*\])$", text, re.M).group(1))
    assert cmd[:2] == ["/bin/bash", "-c"], cmd
    port = CONF[name].port
    with Exporter(name, ["--no-collector.textfile"]) as e:
        ok = run(["/bin/bash", "-c", cmd[2].replace(f"/{port} ", f"/{e.port} ")], timeout=10)
        assert ok.returncode == 0, ok.stderr
    closed = run(["/bin/bash", "-c", cmd[2].replace(f"/{port} ", f"/{free_port()} ")], timeout=10)
    assert closed.returncode != 0


# ---- compose ----

def compose_config(path):
    if not shutil.which("docker-compose"):
        raise Skip("docker-compose (Debian package) is not installed")
    return run(["docker-compose", "-f", path, "config", "-q"], cwd=os.path.dirname(path))


def test_docker_compose_config_validates_compose_yaml():
    r = compose_config(os.path.join(PKG, "compose.yaml"))
    assert r.returncode == 0, r.stdout + r.stderr
    full = run(["docker-compose", "-f", os.path.join(PKG, "compose.yaml"), "config", "--services"]).stdout.split()
    for svc in ("postgres", "redis", "kafka", "clickhouse", "prometheus", "alertmanager", "grafana"):
        assert svc in full, full
    for e in CONF.values():
        assert f"{e.short}-exporter" in full, (e.name, full)


def test_docker_compose_config_catches_a_broken_file():
    def edit(text):
        return text.replace("    ports: [\"9187:9187\"]", "    portz: [\"9187:9187\"]")
    with doctored("compose.yaml", edit) as path:
        r = compose_config(path)
        assert r.returncode != 0 and "portz" in r.stdout + r.stderr, r.stdout + r.stderr


# ---- Kubernetes ----

MANIFESTS = sorted(glob.glob(os.path.join(PKG, "kubernetes", "*.yaml")))
CRD_SCHEMAS = os.path.join(ROOT, "tests", "data", "monitoring.coreos.com")

# Validates monitoring.coreos.com/v1 documents with prometheus-operator's CRD
# schemas, unknown fields rejected (additionalProperties false wherever the
# schema lists properties and does not keep unknown fields). Run by the
# venv's Python, which has jsonschema and PyYAML.
CRD_CHECK = r"""
import json, sys, yaml, jsonschema
def strict(s):
    if isinstance(s, dict):
        if "properties" in s and "additionalProperties" not in s and not s.get("x-kubernetes-preserve-unknown-fields"):
            s["additionalProperties"] = False
        for v in s.values():
            strict(v)
    elif isinstance(s, list):
        for v in s:
            strict(v)
    return s
schemas = {}
bad = 0
checked = 0
for path in sys.argv[2:]:
    for doc in yaml.safe_load_all(open(path)):
        if not doc or not doc.get("apiVersion", "").startswith("monitoring.coreos.com/"):
            continue
        kind = doc["kind"].lower()
        if kind not in schemas:
            schemas[kind] = strict(json.load(open(f"{sys.argv[1]}/{kind}-v1.json")))
        errors = list(jsonschema.Draft7Validator(schemas[kind]).iter_errors(doc))
        checked += 1
        for e in errors:
            bad += 1
            print(f"{path}: {doc['kind']}/{doc['metadata']['name']}: {'/'.join(map(str, e.path))}: {e.message}")
print(f"checked {checked}")
sys.exit(1 if bad else 0)
"""


def kubernetes_validate(*paths):
    return run([pytools.tool("kubernetes-validate"), "--strict", "--no-warn", *paths])


def crd_check(*paths):
    return run([pytools.python(), "-c", CRD_CHECK, CRD_SCHEMAS, *paths])


def test_kubernetes_validate_strict_passes_the_manifests():
    r = kubernetes_validate(*MANIFESTS)
    assert r.returncode == 0, r.stdout + r.stderr
    for kind in ("daemonset/node-exporter", "daemonset/container-exporter", "deployment/kafka-exporter",
                 "statefulset/postgres", "deployment/redis", "statefulset/clickhouse", "networkpolicy/"):
        assert f"resource {kind}" in r.stdout, (kind, r.stdout)


def test_monitoring_coreos_com_kinds_match_prometheus_operators_schemas():
    r = crd_check(*MANIFESTS)
    assert r.returncode == 0, r.stdout + r.stderr
    n = int(re.search(r"checked (\d+)", r.stdout).group(1))
    assert n >= 7, r.stdout  # six monitors and the PrometheusRule


def test_kubernetes_checks_catch_doctored_manifests():
    def edit(text):
        return (text.replace("      hostPID: true\n", "      hostPID: true\n      hostPIDs: true\n")
                .replace("  jobLabel: promc.io/job\n", "  jobLabel: promc.io/job\n  scrapeEvery: 30s\n"))
    with doctored("kubernetes/node-exporter.yaml", edit) as path:
        r = kubernetes_validate(path)
        assert r.returncode != 0 and "hostPIDs" in r.stdout + r.stderr, r.stdout + r.stderr
        r = crd_check(path)
        assert r.returncode != 0 and "scrapeEvery" in r.stdout, r.stdout + r.stderr


def test_kubernetes_node_exporter_runs_as_upstream_recommends():
    text = open(os.path.join(PKG, "kubernetes", "node-exporter.yaml")).read()
    for want in ("kind: DaemonSet", "hostNetwork: true", "hostPID: true", "--path.rootfs=/host",
                 "mountPath: /host", "readOnly: true", "mountPropagation: HostToContainer"):
        assert want in text, want
    text = open(os.path.join(PKG, "kubernetes", "container-exporter.yaml")).read()
    for want in ("kind: DaemonSet", "hostPID: true", "--path.rootfs=/rootfs", "path: /sys"):
        assert want in text, want
