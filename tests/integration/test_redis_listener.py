"""redis_exporter's own HTTPS and basic authentication flags (upstream's
--tls-server-*, --basic-auth-*), mapped onto the web configuration: served
over TLS with the oldest version asked for, certificate and key files read
again when they change (upstream reads them at every handshake), one user
with a plain or a bcrypt password, conflicting or half-given settings
refused with one line."""

import base64
import http.client
import os
import shutil
import ssl
import subprocess
import sys
import tempfile
import warnings

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from harness import BINDIR, Exporter, der_certificate, parse_text, tls_scrape  # noqa: E402
from redis_harness import RedisServer, TlsFiles, metric  # noqa: E402

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import crypt  # noqa: E402

EXE = os.path.join(BINDIR, "redis_exporter")
tls = srv = None


def setup_module():
    global tls, srv
    tls = TlsFiles()
    srv = RedisServer(name="listener")


def teardown_module():
    if srv:
        srv.cleanup()
    if tls:
        tls.cleanup()


def https_get(port, path="/metrics", auth=None, max_version=None):
    ctx = ssl.create_default_context(cafile=tls.ca)
    if max_version:
        ctx.maximum_version = max_version
    conn = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=15)
    headers = {}
    if auth:
        headers["Authorization"] = "Basic " + base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
    try:
        conn.request("GET", path, headers=headers)
        r = conn.getresponse()
        return r.status, r.read().decode()
    finally:
        conn.close()


def test_https_from_the_flags_and_their_variables():
    args = [f"--redis.addr={srv.addr}", f"--tls-server-cert-file={tls.server_cert}",
            f"--tls-server-key-file={tls.server_key}"]
    with Exporter("redis_exporter", args) as e:
        status, body = https_get(e.port)
        assert status == 200
        assert metric(parse_text(body), "redis_up") == 1
        # TLS 1.2 is the oldest accepted by default
        assert https_get(e.port, max_version=ssl.TLSVersion.TLSv1_2)[0] == 200
        try:
            e.get(timeout=5)
            plain = True
        except (OSError, http.client.HTTPException):
            plain = False
        assert not plain or e.get(timeout=5).status == 400
    env = {"REDIS_EXPORTER_TLS_SERVER_CERT_FILE": tls.server_cert,
           "REDIS_EXPORTER_TLS_SERVER_KEY_FILE": tls.server_key, "REDIS_EXPORTER_TLS_SERVER_MIN_VERSION": "TLS1.3",
           "REDIS_ADDR": srv.addr}
    with Exporter("redis_exporter", [], env=env) as e:
        assert https_get(e.port)[0] == 200
        try:
            https_get(e.port, max_version=ssl.TLSVersion.TLSv1_2)
            refused = False
        except (ssl.SSLError, OSError):
            refused = True
        assert refused, "a TLS 1.2 client was accepted with --tls-server-min-version=TLS1.3"


def test_certificate_files_rotate_without_a_restart():
    d = tempfile.mkdtemp(prefix="itest-rotate-")
    cert, key = os.path.join(d, "tls.crt"), os.path.join(d, "tls.key")
    shutil.copy(tls.server_cert, cert)
    shutil.copy(tls.server_key, key)

    def renamed_into_place(src, dst):  # as cert-manager and certbot replace files
        shutil.copy(src, dst + ".new")
        os.rename(dst + ".new", dst)

    try:
        with Exporter("redis_exporter", [f"--redis.addr={srv.addr}", f"--tls-server-cert-file={cert}",
                                         f"--tls-server-key-file={key}"]) as e:
            assert tls_scrape(e.port) == (der_certificate(tls.server_cert), b"HTTP/1.1 200 OK")
            renamed_into_place(tls.client_key, key)
            renamed_into_place(tls.client_cert, cert)
            assert tls_scrape(e.port) == (der_certificate(tls.client_cert), b"HTTP/1.1 200 OK")
            assert "re-read" in e.log, e.log
    finally:
        shutil.rmtree(d)


def test_basic_auth_plain_and_bcrypt_password():
    with Exporter("redis_exporter", [f"--redis.addr={srv.addr}", "--basic-auth-username=prom",
                                     "--basic-auth-password=Pl41n-pass"]) as e:
        assert e.get().status == 401
        assert e.get(headers={"Authorization": "Basic " + base64.b64encode(b"prom:wrong").decode()}).status == 401
        r = e.get(headers={"Authorization": "Basic " + base64.b64encode(b"prom:Pl41n-pass").decode()})
        assert r.status == 200 and "redis_up 1" in r.text
        assert "Pl41n-pass" not in e.log
    hashed = crypt.crypt("H4shed-pass", crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=16))
    env = {"REDIS_EXPORTER_BASIC_AUTH_USERNAME": "prom", "REDIS_EXPORTER_BASIC_AUTH_HASH_PASSWORD": hashed}
    with Exporter("redis_exporter", [f"--redis.addr={srv.addr}", f"--tls-server-cert-file={tls.server_cert}",
                                     f"--tls-server-key-file={tls.server_key}"], env=env) as e:
        assert https_get(e.port)[0] == 401
        status, body = https_get(e.port, auth=("prom", "H4shed-pass"))
        assert status == 200 and "redis_up 1" in body


def test_half_given_or_conflicting_settings_exit_2_with_one_line():
    cases = [
        [f"--tls-server-cert-file={tls.server_cert}"],
        [f"--tls-server-key-file={tls.server_key}"],
        [f"--tls-server-cert-file={tls.server_cert}", f"--tls-server-key-file={tls.server_key}",
         "--tls-server-min-version=TLS9"],
        [f"--tls-server-cert-file={tls.server_cert}", f"--tls-server-key-file={tls.server_key}",
         f"--tls-server-ca-cert-file={tls.ca}"],
        ["--basic-auth-username=u"],
        ["--basic-auth-password=p"],
        ["--basic-auth-username=u", "--basic-auth-password=p", "--basic-auth-hash-password=$2b$10$x"],
        ["--basic-auth-username=u", "--basic-auth-hash-password=notahash"],
        ["--basic-auth-username=u", "--basic-auth-password=p", "--web.config.file=/dev/null"],
    ]
    for args in cases:
        r = subprocess.run([EXE, f"--redis.addr={srv.addr}", *args, "--web.listen-address=127.0.0.1:0"],
                           capture_output=True, text=True, timeout=20)
        assert r.returncode == 2, (args, r.returncode, r.stderr)
        lines = [l for l in r.stderr.splitlines() if l.strip()]
        assert len(lines) == 1, (args, r.stderr)
    r = subprocess.run([EXE, f"--redis.addr={srv.addr}", f"--tls-server-cert-file={tls.server_cert}",
                        f"--tls-server-key-file={tls.server_key}", f"--tls-server-ca-cert-file={tls.ca}",
                        "--web.listen-address=127.0.0.1:0"], capture_output=True, text=True, timeout=20)
    assert "client CA" in r.stderr, r.stderr
    # a key that is not the certificate's: the listener does not start (the HTTP layer says why)
    r = subprocess.run([EXE, f"--redis.addr={srv.addr}", f"--tls-server-cert-file={tls.server_cert}",
                        f"--tls-server-key-file={tls.client_key}", "--web.listen-address=127.0.0.1:0"],
                       capture_output=True, text=True, timeout=20)
    assert r.returncode != 0, r.stderr
