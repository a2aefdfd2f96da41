"""kafka_exporter's command line: every flag of upstream's --help is accepted or
refused with one line and exit status 2, bad values are refused the same way,
secrets never show, and the man page lists exactly the flags of --help. No
broker needed: the exporter points at a closed port."""

import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from harness import BINDIR, FIXTURES, ROOT, Exporter, Skip, free_port  # noqa: E402
from mancheck import help_flags, man_flags, run_help  # noqa: E402

EXE = os.path.join(BINDIR, "kafka_exporter")
NOWHERE = f"--kafka.server=127.0.0.1:{free_port()}"


def upstream_flags():
    with open(os.path.join(FIXTURES, "kafka", "upstream-flags.txt")) as f:
        return [l.strip() for l in f if l.strip() and not l.startswith("#")]


def refused(args, env=None):
    """Run with args; it must exit 2 at once, with one line on stderr. Returns that line."""
    if not os.path.exists(EXE):
        raise Skip(f"{EXE} is not built")
    full_env = dict(os.environ, **(env or {}))
    r = subprocess.run([EXE, f"--web.listen-address=127.0.0.1:{free_port()}", NOWHERE, *args],
                       capture_output=True, text=True, timeout=30, env=full_env)
    assert r.returncode == 2, f"{args}: exit {r.returncode}\n{r.stderr}"
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, f"{args}: {len(lines)} lines:\n{r.stderr}"
    return lines[0]


def make_tls_files(d):
    key, crt = os.path.join(d, "k.pem"), os.path.join(d, "c.pem")
    r = subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", crt,
                        "-days", "2", "-subj", "/CN=localhost"], capture_output=True, timeout=60)
    if r.returncode != 0:
        raise Skip("openssl could not make a test certificate")
    return crt, key


# Accepted with a value other than the default (the exporter must start and serve).
ACCEPTED = {
    "web.telemetry-path": "--web.telemetry-path=/metrics",
    "topic.filter": "--topic.filter=^orders",
    "topic.exclude": "--topic.exclude=^__",
    "group.filter": "--group.filter=.+",
    "group.exclude": "--group.exclude=^tmp-",
    "log.enable-sarama": "--log.enable-sarama",
    "sasl.enabled": "--sasl.enabled",
    "sasl.handshake": "--sasl.handshake",
    "sasl.username": "--sasl.username=monitor",
    "sasl.password": "--sasl.password=pw",
    "sasl.aws-region": "--sasl.aws-region=eu-west-1",
    "sasl.mechanism": "--sasl.mechanism=SCRAM-SHA512",
    "sasl.service-name": "--sasl.service-name=kafka",
    "sasl.kerberos-config-path": "--sasl.kerberos-config-path=/etc/krb5.conf",
    "sasl.realm": "--sasl.realm=EXAMPLE.COM",
    "sasl.kerberos-auth-type": "--sasl.kerberos-auth-type=keytabAuth",
    "sasl.keytab-path": "--sasl.keytab-path=/etc/kafka.keytab",
    "sasl.disable-PA-FX-FAST": "--sasl.disable-PA-FX-FAST",
    "server.tls.ca-file": "--server.tls.ca-file=/etc/ca.pem",
    "server.tls.cert-file": "--server.tls.cert-file=/etc/c.pem",
    "server.tls.key-file": "--server.tls.key-file=/etc/k.pem",
    "kafka.version": "--kafka.version=3.6.0",
    "zookeeper.server": "--zookeeper.server=zk:2181",
    "kafka.labels": "--kafka.labels=cluster=a",
    "refresh.metadata": "--refresh.metadata=1m",
    "offset.show-all": "--no-offset.show-all",
    "concurrent.enable": "--concurrent.enable",
    "topic.workers": "--topic.workers=10",
    "kafka.allow-auto-topic-creation": "--kafka.allow-auto-topic-creation",
    "verbosity": "--verbosity=2",
    "log.level": "--log.level=debug",
    "log.format": "--log.format=json",
    "tls.server-name": "--tls.server-name=ignored-without-tls",
}
# Given TLS files of a real certificate (see test_tls_flags_accepted).
TLS_ACCEPTED = ("tls.enabled", "tls.ca-file", "tls.cert-file", "tls.key-file", "tls.insecure-skip-tls-verify")
# Refused: (arguments, text the one line must contain).
REFUSED = {
    "server.tls.enabled": (["--server.tls.enabled"], "--web.config.file"),
    "server.tls.mutual-auth-enabled": (["--server.tls.mutual-auth-enabled"], "--web.config.file"),
    "use.consumelag.zookeeper": (["--use.consumelag.zookeeper"], "ZooKeeper"),
    "sasl.handshake=false": (["--sasl.enabled", "--no-sasl.handshake"], "--no-sasl.handshake"),
    "sasl.mechanism=gssapi": (["--sasl.enabled", "--sasl.mechanism=gssapi"], "gssapi"),
    "sasl.mechanism=awsiam": (["--sasl.enabled", "--sasl.mechanism=awsiam"], "awsiam"),
    "tls.server-name with TLS": (["--tls.enabled", "--tls.server-name=k"], "--tls.server-name"),
}


def test_every_upstream_flag_is_handled():
    flags = set(upstream_flags())
    handled = set(ACCEPTED) | set(TLS_ACCEPTED) | {k.split("=")[0].split(" ")[0] for k in REFUSED}
    handled |= {"web.listen-address", "kafka.server", "version", "help-long"}  # given on every run / printed
    assert flags <= handled, f"upstream flags not checked here: {sorted(flags - handled)}"
    assert len(flags) > 40


def test_accepted_flags_start_and_serve():
    with Exporter("kafka_exporter", [NOWHERE, *ACCEPTED.values()]) as x:
        r = x.get(headers={"X-Prometheus-Scrape-Timeout-Seconds": "2"})
        assert r.status == 200
        assert 'kafka_up{cluster="a"} 0' in r.text


def test_tls_flags_accepted():
    with tempfile.TemporaryDirectory() as d:
        crt, key = make_tls_files(d)
        args = ["--tls.enabled", f"--tls.ca-file={crt}", f"--tls.cert-file={crt}", f"--tls.key-file={key}",
                "--tls.insecure-skip-tls-verify"]
        with Exporter("kafka_exporter", [NOWHERE, *args]) as x:
            r = x.get(headers={"X-Prometheus-Scrape-Timeout-Seconds": "2"})
            assert r.status == 200 and "kafka_up 0" in r.text
            assert "security=SSL" in x.log


def test_help_long_prints_the_help():
    # kingpin's --help-long, listed in upstream's --help: the help, exit 0.
    if not os.path.exists(EXE):
        raise Skip(f"{EXE} is not built")
    r = subprocess.run([EXE, "--help-long"], capture_output=True, text=True, timeout=10)
    assert r.returncode == 0 and "--kafka.server" in r.stdout, r.stdout + r.stderr


def test_refused_flags_one_line_exit_2():
    for name, (args, text) in REFUSED.items():
        line = refused(args)
        assert text in line, f"{name}: {line}"
        assert line.startswith("kafka_exporter: error: "), line


def test_bad_values_one_line_exit_2():
    cases = [
        (["--topic.filter=("], "--topic.filter"),
        (["--group.exclude=[a-"], "--group.exclude"),
        (["--kafka.labels=topic=x"], "--kafka.labels"),
        (["--kafka.labels=bad-name=x"], "--kafka.labels"),
        (["--refresh.metadata=soon"], "refresh.metadata"),
        (["--topic.workers=0"], "--topic.workers"),
        (["--group.workers=0"], "--group.workers"),
        (["--consumergroup.lag-seconds=guess"], "--consumergroup.lag-seconds"),
        (["--consumergroup.status-window=0s"], "--consumergroup.status-window"),
        (["--kafka.version=2.0"], "--kafka.version"),
        (["--sasl.enabled", "--sasl.mechanism=md5"], "--sasl.mechanism"),
        (["--tls.enabled", "--tls.cert-file=/etc/hostname"], "--tls.key-file"),
        (["--tls.enabled", "--tls.ca-file=/nonexistent/ca.pem"], "configuration"),
        (["--kafka.server="], "--kafka.server"),
        (["--no-such-flag"], "no-such-flag"),
        (["--log.level=loud"], "log.level"),
    ]
    for args, text in cases:
        line = refused(args)
        assert text in line, f"{args}: {line}"


def test_secrets_never_printed():
    secret = "Pa55-in-env-xyz"
    out = subprocess.run([EXE, "--help"], capture_output=True, text=True, timeout=10,
                         env=dict(os.environ, SASL_USER_PASSWORD=secret))
    assert out.returncode == 0 and secret not in out.stdout + out.stderr
    # A refusal does not repeat the password either.
    line = refused(["--sasl.enabled", "--sasl.mechanism=gssapi", f"--sasl.password={secret}"])
    assert secret not in line


def test_man_page_and_help_agree():
    if not os.path.exists(EXE):
        raise Skip(f"{EXE} is not built")
    h = help_flags(run_help(EXE))
    with open(os.path.join(ROOT, "man", "kafka_exporter.1")) as f:
        m = man_flags(f.read())
    assert len(h) > 45
    assert h == m, f"only in --help: {sorted(h - m)}; only in the man page: {sorted(m - h)}"
