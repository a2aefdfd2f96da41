"""pg_exporter's command line: --help agrees with man/pg_exporter.1, bad
flags/environment/configuration exit 2 with one line, and the exporter runs
without any data source. No PostgreSQL needed."""

import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from harness import BINDIR, ROOT, Exporter, Process, Skip, free_port, http_get, wait_for  # noqa: E402

PG = os.path.join(BINDIR, "pg_exporter")
MAN = os.path.join(ROOT, "man", "pg_exporter.1")
CLEAN_ENV = {k: v for k, v in os.environ.items() if not k.startswith(("DATA_SOURCE_", "PG_EXPORTER_"))}


def run(args, env=None, timeout=20):
    if not os.path.exists(PG):
        raise Skip("pg_exporter is not built")
    full = dict(CLEAN_ENV)
    full.update(env or {})
    return subprocess.run([PG, *args], capture_output=True, text=True, env=full, timeout=timeout,
                          cwd=tempfile.gettempdir())


def man_text():
    with open(MAN) as f:
        return f.read().replace("\\-", "-").replace("\\fB", "").replace("\\fR", "").replace("\\fI", "")


def test_help_flags_are_in_the_man_page():
    r = run(["--help"])
    assert r.returncode == 0
    flags = re.findall(r"--(?:\[no-\])?([a-zA-Z][\w.-]*\w)", r.stdout)
    assert len(flags) > 40, r.stdout
    man = man_text()
    missing = []
    for f in flags:
        if f.startswith("collector.") and f.count(".") == 1 and f != "collector.disable-defaults":
            # per-collector switches: documented as --[no-]collector.NAME plus the name in COLLECTORS
            if not re.search(r"\b%s\b" % re.escape(f.split(".", 1)[1]), man):
                missing.append(f)
        elif f not in man:
            missing.append(f)
    assert not missing, f"flags in --help but not in {MAN}: {missing}"
    # and the other way round: every flag the man page documents exists
    for f in re.findall(r"^\.B(?:I)? (?:-h, )?--(?:\[no-\])?([a-z][\w.-]*)", man, re.M):
        if f != "collector.NAME":
            assert f in flags or f in ("help", "version"), f"man page documents --{f}, --help does not"


def test_help_lists_upstream_flags_and_env():
    out = run(["--help"]).stdout
    for flag, env in [("disable-default-metrics", "PG_EXPORTER_DISABLE_DEFAULT_METRICS"),
                      ("auto-discover-databases", "PG_EXPORTER_AUTO_DISCOVER_DATABASES"),
                      ("constantLabels", "PG_EXPORTER_CONSTANT_LABELS"),
                      ("exclude-databases", "PG_EXPORTER_EXCLUDE_DATABASES"),
                      ("include-databases", "PG_EXPORTER_INCLUDE_DATABASES"),
                      ("metric-prefix", "PG_EXPORTER_METRIC_PREFIX"),
                      ("collection-timeout", "PG_EXPORTER_COLLECTION_TIMEOUT"),
                      ("extend.query-path", "PG_EXPORTER_EXTEND_QUERY_PATH")]:
        line = next(l for l in out.splitlines() if f"{flag}" in l)
        assert env in line, line
    assert '(default: ":9187")' in out
    assert "PG_EXPORTER_WEB_TELEMETRY_PATH" in out
    assert "DATA_SOURCE_PASS_FILE" in out


def test_help_never_shows_the_password():
    r = run(["--help"], env={"DATA_SOURCE_PASS": "Hunter2-secret", "DATA_SOURCE_USER": "u",
                             "DATA_SOURCE_URI": "h:1/db",
                             "DATA_SOURCE_NAME": "postgresql://u:Hunter2-secret@h/db"})
    assert r.returncode == 0
    assert "Hunter2" not in r.stdout + r.stderr


def test_version_and_dumpmaps():
    r = run(["--version"])
    assert r.returncode == 0 and r.stdout.startswith("pg_exporter, version ")
    r = run(["--dumpmaps"])
    assert r.returncode == 0
    assert "pg_stat_database_conflicts" in r.stdout and "confl_deadlock" in r.stdout


def test_bad_settings_exit_2_with_one_line():
    bad_yaml = tempfile.NamedTemporaryFile("w", suffix=".yml", delete=False)
    bad_yaml.write("auth_modules:\n  m:\n    tpye: userpass\n")
    bad_yaml.close()
    cases = [
        (["--collection-timeout=0s"], {}, "collection-timeout"),
        (["--collection-timeout=soon"], {}, "collection-timeout"),
        (["--no-such-flag"], {}, "no-such-flag"),
        (["--web.systemd-socket"], {}, "systemd"),
        ([f"--config.file={bad_yaml.name}"], {}, "tpye"),
        (["--constantLabels=bad-name=1"], {}, "constantLabels"),
        (["--metric-prefix=1x"], {}, "metric-prefix"),
        (["--probe.max-targets=0"], {}, "probe.max-targets"),
        (["--probe.idle-timeout=-1s"], {}, "probe.idle-timeout"),
        (["--disable-settings-metrics=maybe"], {}, "disable-settings-metrics"),
        ([], {"DATA_SOURCE_URI": "h/db", "DATA_SOURCE_PASS_FILE": "/nonexistent/pass"}, "/nonexistent/pass"),
        ([], {"PG_EXPORTER_COLLECTION_TIMEOUT": "never"}, "PG_EXPORTER_COLLECTION_TIMEOUT"),
        ([], {"PG_EXPORTER_DISABLE_DEFAULT_METRICS": "maybe"}, "PG_EXPORTER_DISABLE_DEFAULT_METRICS"),
    ]
    try:
        for args, env, needle in cases:
            r = run(args + ["--web.listen-address=127.0.0.1:0"], env=env)
            assert r.returncode == 2, f"{args} {env}: exit {r.returncode}\n{r.stderr}"
            lines = [l for l in r.stderr.splitlines() if l.strip()]
            err = [l for l in lines if l.startswith("pg_exporter: error: ")]
            assert len(err) == 1, f"{args}: {r.stderr}"
            assert needle in err[0], f"{args}: {err[0]}"
            assert "Hunter2" not in r.stderr
    finally:
        os.unlink(bad_yaml.name)


def test_no_data_source_serves_pg_up_0_and_probe_needs_target():
    with Exporter("pg_exporter", env={"DATA_SOURCE_NAME": "", "DATA_SOURCE_URI": ""}) as e:
        m = e.scrape()
        assert m["pg_up"].value() == 0
        assert m["pg_exporter_scrapes_total"].type == "counter"
        assert "process_resident_memory_bytes" in m
        assert "postgres_exporter_build_info" in m
        assert m["postgres_exporter_config_last_reload_successful"].value() == 0
        assert e.scrape()["pg_exporter_scrapes_total"].value() == 2
        r = e.get("/probe")
        assert r.status == 400 and "target is required" in r.text
        r = e.get("/probe?target=127.0.0.1:1/x&auth_module=none")
        assert r.status == 400 and "auth_module none not found" in r.text
        r = e.get("/")
        assert r.status == 200 and "/probe" in r.text
        assert "Error loading config" in e.log  # the default file is optional, as upstream


def test_telemetry_path_from_environment():
    with Exporter("pg_exporter", env={"PG_EXPORTER_WEB_TELEMETRY_PATH": "/pgm"}, ready_path="/pgm") as e:
        assert e.get("/pgm").status == 200
        assert e.get("/metrics").status == 404
    with Exporter("pg_exporter", ["--web.telemetry-path=/explicit"],
                  env={"PG_EXPORTER_WEB_TELEMETRY_PATH": "/pgm"}) as e:
        assert e.get("/explicit").status == 200
        assert e.get("/pgm").status == 404


def test_missing_config_file_warns_and_serves():
    """The Helm chart passes --config.file=/etc/postgres_exporter.yml and mounts
    it only when configured: upstream warns and carries on, so do we."""
    with Exporter("pg_exporter", ["--config.file=/nonexistent/postgres_exporter.yml"],
                  env={"DATA_SOURCE_NAME": ""}) as e:
        m = e.scrape()
        assert m["pg_up"].value() == 0
        assert m["postgres_exporter_config_last_reload_successful"].value() == 0
        assert e.get("/").status == 200
        r = e.get("/probe?target=127.0.0.1:1/x&auth_module=m")
        assert r.status == 400 and "auth_module m not found" in r.text
        line = next(l for l in e.log.splitlines() if "Error loading config" in l)
        assert "level=warn" in line and "/nonexistent/postgres_exporter.yml" in line


def test_0_11_flags_and_variables_are_accepted_with_a_warning():
    """Debian 12's prometheus-postgres-exporter (0.11.1) flags and variables from
    /etc/default files: honoured through their 0.20 names, never silently."""
    with Exporter("pg_exporter", ["--disable-settings-metrics", "--no-collector.bgwriter", "--help-long"],
                  env={"DATA_SOURCE_NAME": ""}, wait=False) as e:
        assert e.proc.wait(10) == 0  # --help-long prints the help, as kingpin
    cases = [
        (["--disable-settings-metrics", "--no-collector.bgwriter"], {},
         ["disable-settings-metrics", "collector.bgwriter"], {"settings": False, "stat_bgwriter": False}),
        ([], {"PG_EXPORTER_DISABLE_SETTINGS_METRICS": "true"},
         ["PG_EXPORTER_DISABLE_SETTINGS_METRICS"], {"settings": False, "stat_bgwriter": True}),
        # an explicit 0.20 flag still wins over the old one
        (["--disable-settings-metrics", "--collector.settings", "--collector.bgwriter"], {},
         ["disable-settings-metrics"], {"settings": True, "stat_bgwriter": True}),
        ([], {"PG_EXPORTER_NO_SUCH_THING": "1"}, ["PG_EXPORTER_NO_SUCH_THING"], {"settings": True}),
    ]
    for args, env, warned, enabled in cases:
        full = {"DATA_SOURCE_NAME": ""}
        full.update(env)
        with Exporter("pg_exporter", args + ["--no-help", "--no-version"], env=full) as e:
            log = e.log
            for w in warned:
                assert any("level=warn" in l and w in l for l in log.splitlines()), (args, env, w, log)
            for name, on in enabled.items():
                seen = any(l.endswith(f"name={name}") and "collector enabled" in l for l in log.splitlines())
                assert seen == on, (args, env, name, log)
    # 0.11's listen-address variable
    port = free_port()
    p = Process([PG], env=dict(CLEAN_ENV, PG_EXPORTER_WEB_LISTEN_ADDRESS=f"127.0.0.1:{port}"),
                cwd=tempfile.gettempdir())
    try:
        wait_for(lambda: http_get(port, "/").status == 200, 10, what="PG_EXPORTER_WEB_LISTEN_ADDRESS")
        assert "PG_EXPORTER_WEB_LISTEN_ADDRESS is DEPRECATED" in p.log
        assert p.stop() == 0
    finally:
        p.cleanup()


DATA = os.path.join(ROOT, "tests", "data")
ENV_DEFAULTS = {"PG_EXPORTER_WEB_TELEMETRY_PATH": "/metrics", "PG_EXPORTER_METRIC_PREFIX": "pg",
                "PG_EXPORTER_COLLECTION_TIMEOUT": "1m", "PG_EXPORTER_DISABLE_DEFAULT_METRICS": "false",
                "PG_EXPORTER_AUTO_DISCOVER_DATABASES": "false", "PG_EXPORTER_DISABLE_SETTINGS_METRICS": "false"}


def upstream_list(name):
    flags, envs = [], []
    with open(os.path.join(DATA, name)) as f:
        for line in f:
            line = line.strip()
            if line.startswith("$"):
                envs.append(line[1:])
            elif line.startswith("-"):
                flags.append(line)
    return flags, envs


def our_flags():
    out = run(["--help"]).stdout
    names = {"help", "no-help", "help-long", "help-man", "version", "no-version"}
    for neg, name in re.findall(r"^\s+(?:-h, )?--(\[no-\])?([a-zA-Z][\w.-]*)", out, re.M):
        names.add(name)
        if neg:
            names.add("no-" + name)
    return names, out


def check_upstream_list(name):
    flags, envs = upstream_list(name)
    assert len(flags) > 15 and len(envs) > 8, name
    ours, help_text = our_flags()
    missing = [f for f in flags if f != "-h" and f.split("=", 1)[0][2:] not in ours]
    assert not missing, f"{name}: flags ours does not list: {missing}"
    missing = [e for e in envs if e not in help_text]
    assert not missing, f"{name}: variables ours does not list: {missing}"
    # ... and ours starts with every one of them given at upstream's default
    args = [f for f in flags if f not in ("-h", "--help", "--help-long", "--help-man", "--version", "--dumpmaps",
                                          "--web.systemd-socket") and not f.startswith("--web.listen-address")]
    env = {e: ENV_DEFAULTS.get(e, "") for e in envs if e.startswith("PG_EXPORTER_") and e != "PG_EXPORTER_WEB_LISTEN_ADDRESS"}
    env["DATA_SOURCE_NAME"] = ""
    with Exporter("pg_exporter", args, env=env, cwd=tempfile.gettempdir()) as e:
        assert e.get("/metrics").status == 200
        assert "unknown environment variable" not in e.log, e.log
    return flags, envs


def test_every_flag_and_variable_of_0_20_1_is_accepted():
    check_upstream_list("postgres_exporter-0.20.1.flags")


def test_every_flag_and_variable_of_debian_0_11_1_is_accepted():
    check_upstream_list("prometheus-postgres-exporter-0.11.1.flags")
