"""The prometheus-community redis-exporter chart's configurations run with
ours as with upstream: each rendered argument and environment list
(tests/data/helm-prometheus-redis-exporter-6.29.0.json, rendered from the
chart's deployment template) is given to the binary, with the chart's mount
paths and redis address pointed at files and servers made here. The chart's
probe (GET / over HTTP or HTTPS) must answer 200 and /metrics redis_up 1.
Upstream (REDIS_EXPORTER_UPSTREAM, default /tmp/upstream/bin/redis_exporter)
is run the same way when present, as the reference."""

import http.client
import json
import os
import ssl
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from harness import Exporter, parse_text  # noqa: E402
from redis_harness import RedisServer, TlsFiles, fill_plain  # noqa: E402

DATA = os.path.join(os.path.dirname(__file__), "..", "data", "helm-prometheus-redis-exporter-6.29.0.json")
UPSTREAM = os.environ.get("REDIS_EXPORTER_UPSTREAM", "/tmp/upstream/bin/redis_exporter")
CASES = json.load(open(DATA))["cases"]

tls = plain = tls_srv = auth = None
mount = None

SCRIPT = """-- key, value pairs as the chart's script examples
local out = {}
out[1] = "user_keys"
out[2] = tostring(#redis.call("KEYS", "user:*"))
return out
"""


def setup_module():
    global tls, plain, tls_srv, auth, mount
    tls = TlsFiles()
    plain = RedisServer(name="helm-plain")
    fill_plain(plain)
    tls_srv = RedisServer(tls=tls, auth_clients="yes", name="helm-tls")
    fill_plain(tls_srv)
    auth = RedisServer(password="other-Pa55", name="helm-auth")
    auth.cmd("ACL", "SETUSER", "monitor", "on", ">chart-Pa55", "+@all", "~*")
    # what the chart mounts, where the test can put it
    mount = tempfile.mkdtemp(prefix="itest-helm-")
    os.makedirs(os.path.join(mount, "tls"))
    os.makedirs(os.path.join(mount, "script"))
    for name, src in (("tls-ca-cert.crt", tls.ca), ("tls-client-key.key", tls.client_key),
                      ("tls-client-cert.crt", tls.client_cert), ("tls-server-key.key", tls.server_key),
                      ("tls-server-cert.crt", tls.server_cert)):
        with open(src) as f, open(os.path.join(mount, "tls", name), "w") as g:
            g.write(f.read())
    with open(os.path.join(mount, "script", "script.lua"), "w") as f:
        f.write(SCRIPT)


def teardown_module():
    for s in (plain, tls_srv, auth):
        if s:
            s.cleanup()
    if tls:
        tls.cleanup()


def localise(case, server):
    """The case's env and args with the chart's paths under our mount and its address at server."""
    env = {}
    for e in case["env"]:
        v = e["value"].replace("/tls/", mount + "/tls/").replace("/script/", mount + "/script/")
        if e["name"] == "REDIS_ADDR":
            v = v.replace("myredis:6379", f"127.0.0.1:{server.port}")
        env[e["name"]] = v
    return env, list(case["args"])


def get(port, path, scheme):
    if scheme == "HTTPS":
        # the kubelet's probe does not verify the certificate; we do, with the suite's CA
        ctx = ssl.create_default_context(cafile=tls.ca)
        conn = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=15)
    else:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
    try:
        conn.request("GET", path)
        r = conn.getresponse()
        return r.status, r.read().decode()
    finally:
        conn.close()


def serve(name, server, binary=None):
    case = CASES[name]
    env, args = localise(case, server)
    kw = {"binary": binary, "listen_flag": "-web.listen-address", "check_exit": False} if binary else {}
    with Exporter("upstream redis_exporter" if binary else "redis_exporter", args, env=env, **kw) as e:
        status, _ = get(e.port, case["probe"]["path"], case["probe"]["scheme"])
        assert status == 200, (name, status, e.log[-2000:])
        status, body = get(e.port, "/metrics", case["probe"]["scheme"])
        assert status == 200, (name, status)
        return parse_text(body), e.log


def check_case(name, server, expect):
    results = [("ours", serve(name, server))]
    if os.path.exists(UPSTREAM):
        results.append(("upstream", serve(name, server, UPSTREAM)))
    for who, (f, log) in results:
        assert f["redis_up"].value() == 1, (who, name, log[-2000:])
        expect(who, f)


def test_chart_defaults():
    check_case("defaults", plain, lambda who, f: None)


def test_chart_redis_tls_config_client_and_server_side():
    # rediss:// with the chart's CA and client key pair, and HTTPS for the probes and Prometheus
    def expect(who, f):
        assert f["redis_db_keys"].value(db="db0") == 28, who
    check_case("redisTlsConfig", tls_srv, expect)


def test_chart_redis_tls_skip_verification():
    # only the variable: no CA, the server's certificate is not checked; no client key pair needed
    srv = RedisServer(tls=tls, name="helm-tls-noclient")
    try:
        check_case("redisTlsConfig-skipTlsVerification", srv, lambda who, f: None)
    finally:
        srv.cleanup()


def test_chart_script():
    def expect(who, f):
        assert f["redis_script_result"].value() == 1, who
        assert f["redis_script_values"].value(key="user_keys") == 20, who
    check_case("script", plain, expect)


def test_chart_extra_args_and_auth():
    auth.cmd("SET", "user:7", "seven")

    def expect(who, f):
        # the ACL user and its password from the chart's variables; extraArgs as flags
        assert f["redis_key_size"].value(db="db0", key="user:7") == 5, who
        assert f["redis_total_system_memory_bytes"].value() > 0, who
    check_case("extraArgs-and-auth", auth, expect)
