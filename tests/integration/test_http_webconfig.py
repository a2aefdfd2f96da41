"""--web.config.file (issue 11, point 8, and plain HTTP on the TLS port from
point 5): unknown users cost as much as the costliest known one, strict and
bounded parsing, errors that name the faulty file, and changes (users,
certificates) applied without a restart, as exporter-toolkit re-reads it."""

import base64
import contextlib
import http.client
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from harness import BINDIR, FIXTURES, Exporter, der_certificate, tls_scrape, wait_for  # noqa: E402

NODE = os.path.join(BINDIR, "node_exporter")
TLS = os.path.join(FIXTURES, "tls")  # two self-signed certificates and their keys, for 127.0.0.1
ARGS = [f"--path.procfs={FIXTURES}/node/proc", "--collector.disable-defaults", "--collector.loadavg"]
# bcrypt of "secret" at cost 12, of "other" at cost 10, of "newpass" at cost 4
ALICE_12 = "$2b$12$keKH9PycnjU12IneTAsgzOiOahUDTYcx8P58OXC8JWW8AbNmhbBEG"
BOB_10 = "$2b$10$TMQwtZnif4r2AKLH0HbHgehvxtWu0Fdyrtw..HrNhNEycjsKrrEf2"
CAROL_4 = "$2b$04$ecGFEBKr./KMqUFfu8sya.1IL4WXHv72siWzoCIA/4xL27l/HKs5K"


def basic(user, password):
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def write(path, text):
    # Replace atomically, as configuration management does.
    with open(path + ".tmp", "w") as f:
        f.write(text)
    os.rename(path + ".tmp", path)


@contextlib.contextmanager
def config_dir(text, files=()):
    """A directory holding web.yml with text, and the named fixture files."""
    d = tempfile.mkdtemp()
    try:
        for f in files:
            shutil.copy(os.path.join(TLS, f), d)
        write(os.path.join(d, "web.yml"), text)
        yield d
    finally:
        shutil.rmtree(d)


def check_config(text, files=()):
    """Run node_exporter with the config; returns (exit status, stderr)."""
    with config_dir(text, files) as d:
        r = subprocess.run([NODE, *ARGS, f"--web.config.file={d}/web.yml", "--web.listen-address=127.0.0.1:0"],
                           capture_output=True, text=True, timeout=20)
        return r.returncode, r.stderr


@contextlib.contextmanager
def configured(text, files=()):
    """node_exporter with a web config file of text (and files beside it);
    yields the exporter and the config file's directory."""
    with config_dir(text, files) as d:
        with Exporter("node_exporter", ARGS + [f"--web.config.file={d}/web.yml"]) as e:
            yield e, d


def test_unknown_users_take_as_long_as_the_costliest_known_one():
    # A wrong password for alice (cost 12) and any password for an unknown
    # user must cost the same bcrypt work; a cost-10 dummy took a quarter.
    with configured(f"basic_auth_users:\n  bob: {BOB_10}\n  alice: {ALICE_12}\n") as (e, _):
        known, unknown = [], []
        for i in range(3):  # interleaved, medians: a shared machine is noisy
            for user, times in (("alice", known), ("mallory", unknown)):
                t0 = time.monotonic()
                assert e.get("/metrics", basic(user, f"wrong{i}")).status == 401
                times.append(time.monotonic() - t0)
        k, u = sorted(known)[1], sorted(unknown)[1]
        assert u > 0.6 * k, f"unknown user {u * 1000:.0f} ms, wrong password {k * 1000:.0f} ms"
        assert e.get("/metrics", basic("alice", "secret")).status == 200


def test_duplicate_keys_are_rejected():
    rc, err = check_config(f"basic_auth_users:\n  alice: {ALICE_12}\n  alice: {BOB_10}\n")
    # (the log line is logfmt: quotes escaped)
    assert rc == 2 and 'key \\"alice\\" already set' in err and "line 3" in err, err
    rc, err = check_config("rate_limit:\n  burst: 1\nrate_limit:\n  burst: 2\n")
    assert rc == 2 and 'key \\"rate_limit\\" already set' in err, err


def test_deep_nesting_is_rejected_at_once():
    # libyaml's loader is quadratic in depth: 100,000 levels took 48 s.
    for text in ("basic_auth_users: " + "[" * 100000 + "]" * 100000 + "\n",
                 "basic_auth_users:\n" + "- " * 100000 + "x\n"):
        try:
            rc, err = check_config(text)
        except subprocess.TimeoutExpired:
            raise AssertionError("a 100,000-deep list was not rejected within 20 s")
        assert rc == 2 and "nested deeper than" in err, err


def test_the_faulty_certificate_or_key_is_named():
    tls = "tls_server_config:\n  cert_file: {}\n  key_file: {}\n"
    with open(os.path.join(TLS, "a.key")) as f:
        key_text = f.read()
    cases = [
        (tls.format("a.key", "a.key"), "cert_file"),   # a key where the certificate goes
        (tls.format("a.crt", "a.crt"), "key_file"),    # and the other way round
        (tls.format("a.crt", "b.key"), "does not belong"),  # a pair that does not match
        ("tls_server_config:\n  cert: garbage\n  key: |\n" + "".join("    " + line + "\n" for line in
                                                                     key_text.splitlines()), "tls_server_config.cert"),
    ]
    for text, needle in cases:
        rc, err = check_config(text, files=("a.crt", "a.key", "b.key"))
        lines = [line for line in err.splitlines() if line.strip()]
        assert rc == 2 and needle in err, (needle, rc, err)
        assert len([line for line in lines if "error" in line]) == 1, err
        if needle == "does not belong":
            assert "a.crt" in err and "b.key" in err, err


def test_users_and_headers_change_without_a_restart():
    with configured(f"basic_auth_users:\n  carol: {CAROL_4}\n") as (e, d):
        cfg = os.path.join(d, "web.yml")
        assert e.get("/metrics", basic("carol", "newpass")).status == 200
        assert e.get("/metrics", basic("alice", "secret")).status == 401
        write(cfg, f"basic_auth_users:\n  alice: {ALICE_12}\n"
                   "http_server_config:\n  headers:\n    X-Frame-Options: deny\n")
        r = e.get("/metrics", basic("alice", "secret"))
        assert r.status == 200 and r.header("X-Frame-Options") == "deny"
        assert e.get("/metrics", basic("carol", "newpass")).status == 401
        # An invalid file refuses every request, as upstream, until it is fixed.
        write(cfg, "basic_auth_users: [unbalanced\n")
        assert e.get("/metrics", basic("alice", "secret")).status == 500
        write(cfg, f"basic_auth_users:\n  carol: {CAROL_4}\n")
        assert e.get("/metrics", basic("carol", "newpass")).status == 200
        assert "invalid" in e.log and "valid again" in e.log


def fingerprint(name):
    return der_certificate(os.path.join(TLS, name))


def test_certificates_rotate_without_a_restart():
    with configured("tls_server_config:\n  cert_file: a.crt\n  key_file: a.key\n", ("a.crt", "a.key")) as (e, d):
        assert tls_scrape(e.port) == (fingerprint("a.crt"), b"HTTP/1.1 200 OK")
        # as certbot and cert-manager do: new files renamed into place
        write(os.path.join(d, "a.key"), open(os.path.join(TLS, "b.key")).read())
        write(os.path.join(d, "a.crt"), open(os.path.join(TLS, "b.crt")).read())
        assert tls_scrape(e.port) == (fingerprint("b.crt"), b"HTTP/1.1 200 OK")


def test_plain_http_on_the_tls_port_gets_400():
    with configured("tls_server_config:\n  cert_file: a.crt\n  key_file: a.key\n", ("a.crt", "a.key")) as (e, _):
        conn = http.client.HTTPConnection("127.0.0.1", e.port, timeout=10)
        conn.request("GET", "/metrics")
        r = conn.getresponse()
        assert r.status == 400 and r.read() == b"Client sent an HTTP request to an HTTPS server.\n"
        conn.close()
        wait_for(lambda: tls_scrape(e.port)[1] == b"HTTP/1.1 200 OK", timeout=5, what="TLS to work")
