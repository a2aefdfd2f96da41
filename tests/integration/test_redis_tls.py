"""TLS to Redis (rediss://) against Debian's redis-server on a TLS-only port:
the right CA, a wrong one, no verification, a client certificate the server
requires, the name the certificate must carry, and the flags' environment
variables. Certificates are made with openssl for the module."""

import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from harness import BINDIR, Exporter  # noqa: E402
from redis_harness import RedisServer, TlsFiles, fill_plain, metric  # noqa: E402

EXE = os.path.join(BINDIR, "redis_exporter")
tls = srv = mtls = None


def setup_module():
    global tls, srv, mtls
    tls = TlsFiles()
    srv = RedisServer(tls=tls, name="tls")
    fill_plain(srv)
    mtls = RedisServer(tls=tls, auth_clients="yes", name="mtls")


def teardown_module():
    for s in (srv, mtls):
        if s:
            s.cleanup()
    if tls:
        tls.cleanup()


def exporter(*args, env=None):
    return Exporter("redis_exporter", list(args), env=env)


def last_error(f):
    return [l["err"] for _, l, _ in f["redis_exporter_last_scrape_error"].samples][0]


def test_right_ca():
    with exporter(f"--redis.addr={srv.addr}", f"--tls-ca-cert-file={tls.ca}") as e:
        f = e.scrape()
        assert metric(f, "redis_up") == 1, last_error(f)
        assert metric(f, "redis_db_keys", db="db0") == 28
        # the connection is kept: a second scrape needs no new handshake
        f = e.scrape()
        assert metric(f, "redis_up") == 1
        assert metric(f, "redis_connections_received_total") <= 3


def test_flags_from_the_environment():
    env = {"REDIS_ADDR": f"rediss://localhost:{mtls.port}", "REDIS_EXPORTER_TLS_CA_CERT_FILE": tls.ca,
           "REDIS_EXPORTER_TLS_CLIENT_CERT_FILE": tls.client_cert,
           "REDIS_EXPORTER_TLS_CLIENT_KEY_FILE": tls.client_key,
           "REDIS_EXPORTER_TLS_SERVER_NAME": "redis.test"}
    with exporter(env=env) as e:
        f = e.scrape()
        assert metric(f, "redis_up") == 1, last_error(f)
    with exporter(env={"REDIS_ADDR": srv.addr, "REDIS_EXPORTER_SKIP_TLS_VERIFICATION": "true"}) as e:
        assert metric(e.scrape(), "redis_up") == 1


def test_wrong_ca_is_down_with_the_reason_logged():
    with exporter(f"--redis.addr={srv.addr}", f"--tls-ca-cert-file={tls.other_ca}") as e:
        f = e.scrape()
        assert metric(f, "redis_up") == 0
        err = last_error(f)
        assert "certificate" in err and "not trusted" in err.lower(), err
        assert "redis_db_keys" not in f
        assert "not trusted" in e.log.lower() and "level=error" in e.log, e.log
        # the server was never spoken to in clear text
        assert metric(e.scrape(), "redis_up") == 0


def test_skip_verification_accepts_any_certificate():
    with exporter(f"--redis.addr={srv.addr}", f"--tls-ca-cert-file={tls.other_ca}",
                  "--skip-tls-verification") as e:
        assert metric(e.scrape(), "redis_up") == 1


def test_client_certificate_required_by_the_server():
    with exporter(f"--redis.addr={mtls.addr}", f"--tls-ca-cert-file={tls.ca}") as e:
        f = e.scrape()
        assert metric(f, "redis_up") == 0
        assert last_error(f), f
    with exporter(f"--redis.addr={mtls.addr}", f"--tls-ca-cert-file={tls.ca}",
                  f"--tls-client-cert-file={tls.client_cert}", f"--tls-client-key-file={tls.client_key}") as e:
        f = e.scrape()
        assert metric(f, "redis_up") == 1, last_error(f)
        assert metric(f, "redis_db_keys", db="db0") == 0


def test_server_name_checks():
    # the certificate names redis.test and 127.0.0.1, not localhost
    local = f"rediss://localhost:{srv.port}"
    with exporter(f"--redis.addr={local}", f"--tls-ca-cert-file={tls.ca}") as e:
        f = e.scrape()
        assert metric(f, "redis_up") == 0
        assert "does not match" in last_error(f), last_error(f)
    with exporter(f"--redis.addr={local}", f"--tls-ca-cert-file={tls.ca}", "--tls-server-name=redis.test") as e:
        assert metric(e.scrape(), "redis_up") == 1
    with exporter(f"--redis.addr={srv.addr}", f"--tls-ca-cert-file={tls.ca}", "--tls-server-name=other.test") as e:
        assert metric(e.scrape(), "redis_up") == 0
        # /scrape takes upstream's two spellings of a per-request name
        f = e.scrape(f"/scrape?target={local}&tls_server_name=redis.test")
        assert metric(f, "redis_up") == 1, last_error(f)
        f = e.scrape(f"/scrape?target={local}&tls-server-name=redis.test")
        assert metric(f, "redis_up") == 1
        f = e.scrape(f"/scrape?target={local}&tls-server-name=wrong.test")
        assert metric(f, "redis_up") == 0


def test_scrape_targets_without_tls_flags_use_the_system_cas():
    with exporter("--redis.addr=") as e:
        # the suite's CA is in no system store
        f = e.scrape(f"/scrape?target={srv.addr}")
        assert metric(f, "redis_up") == 0
        assert "not trusted" in last_error(f).lower(), last_error(f)
    with exporter("--redis.addr=", f"--tls-ca-cert-file={tls.ca}") as e:
        assert metric(e.scrape(f"/scrape?target={srv.addr}"), "redis_up") == 1
        # plain redis:// to the TLS port: garbage, not a hang or a crash
        f = e.scrape(f"/scrape?target=redis://127.0.0.1:{srv.port}")
        assert metric(f, "redis_up") == 0


def test_bad_tls_files_exit_2_with_one_line():
    cases = [[f"--tls-ca-cert-file={tls.dir}/nonexistent.crt"],
             [f"--tls-client-cert-file={tls.client_cert}"],
             [f"--tls-client-cert-file={tls.client_cert}", f"--tls-client-key-file={tls.server_key}"],
             [f"--tls-ca-cert-file={tls.client_key}"]]
    for args in cases:
        r = subprocess.run([EXE, f"--redis.addr={srv.addr}", *args, "--web.listen-address=127.0.0.1:0"],
                           capture_output=True, text=True, timeout=10)
        assert r.returncode == 2, (args, r.returncode, r.stderr)
        lines = [l for l in r.stderr.splitlines() if l.strip()]
        assert len(lines) == 1, (args, r.stderr)
