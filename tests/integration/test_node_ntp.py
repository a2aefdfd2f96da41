"""node_exporter's ntp collector against a local SNTP responder (a thread of
this test on a loopback UDP port): the server's stratum, leap indicator,
root delay and dispersion and reference time exactly as sent, offset and
round trip plausible, the sanity verdict following RFC 5905's checks and
the configured limits; a responder that never answers, one that answers
another query and one that sends garbage fail the collector within the
scrape's deadline; flags that upstream refuses exit 2. With
NODE_EXPORTER_UPSTREAM set, both query the same responder."""

import os
import socket
import struct
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from harness import BINDIR, Exporter, parse_text, upstream_binary  # noqa: E402

NODE = os.path.join(BINDIR, "node_exporter")
NTP_EPOCH = 2208988800
# the reference clock's last update as the responder reports it: a minute ago, to the half second
REFERENCE = int(time.time()) - 60.5


def ntp64(t):
    return (int(t) + NTP_EPOCH) << 32 | int((t % 1) * 2 ** 32)


class Responder:
    """An SNTP server: mode is "ok", "silent", "stranger" (answers another query) or "garbage"."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.mode = "ok"
        self.leap, self.stratum, self.reference = 0, 2, REFERENCE
        self.queries = 0
        self.stopped = False
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while not self.stopped:
            try:
                data, addr = self.sock.recvfrom(512)
            except OSError:
                return
            self.queries += 1
            now = time.time()
            if self.mode == "silent":
                continue
            if self.mode == "garbage":
                self.sock.sendto(b"\x24\x02", addr)
                continue
            origin = data[40:48] if self.mode == "ok" else b"\x01" * 8
            # leap, version 4, mode 4 (server); poll 6, precision -20; root delay 1/32 s and
            # dispersion 1/64 s in 16.16; the reference identifier "GPS"
            pkt = struct.pack("!BBbbII4sQ8sQQ", self.leap << 6 | 4 << 3 | 4, self.stratum, 6, -20,
                              0x800, 0x400, b"GPS\0", ntp64(self.reference), origin, ntp64(now),
                              ntp64(now + 0.0001))
            self.sock.sendto(pkt, addr)

    def close(self):
        self.stopped = True
        self.sock.close()


def ntp_args(r, *extra):
    return ["--collector.disable-defaults", "--collector.ntp", f"--collector.ntp.server-port={r.port}", *extra]


def test_values_from_the_server():
    r = Responder()
    try:
        with Exporter("node_exporter", ntp_args(r)) as e:
            fams = e.scrape()
            assert fams["node_scrape_collector_success"].value(collector="ntp") == 1, e.log
            assert fams["node_ntp_stratum"].value() == 2
            assert fams["node_ntp_leap"].value() == 0
            assert fams["node_ntp_root_delay_seconds"].value() == 0.03125
            assert fams["node_ntp_root_dispersion_seconds"].value() == 0.015625
            assert abs(fams["node_ntp_reference_timestamp_seconds"].value() - REFERENCE) < 1e-6
            # the same clock on both sides: offset and round trip are small
            assert abs(fams["node_ntp_offset_seconds"].value()) < 0.05
            assert 0 <= fams["node_ntp_rtt_seconds"].value() < 0.5
            assert fams["node_ntp_sanity"].value() == 1
            assert "deprecated" in e.log
            # not in sync: insane; a stratum 16 server: insane
            r.leap = 3
            assert e.scrape()["node_ntp_sanity"].value() == 0
            r.leap, r.stratum = 0, 16
            fams = e.scrape()
            assert fams["node_ntp_sanity"].value() == 0
            assert fams["node_ntp_stratum"].value() == 16
            # a reference clock not updated for more than 2^17 s: insane
            r.stratum, r.reference = 2, time.time() - 200000
            assert e.scrape()["node_ntp_sanity"].value() == 0
            r.reference = REFERENCE
            assert e.scrape()["node_ntp_sanity"].value() == 1
        # a root distance limit below what the server reports: insane
        with Exporter("node_exporter", ntp_args(r, "--collector.ntp.max-distance=10ms")) as e:
            assert e.scrape()["node_ntp_sanity"].value() == 0
    finally:
        r.close()


def test_servers_that_do_not_answer_well():
    r = Responder()
    try:
        with Exporter("node_exporter", ntp_args(r)) as e:
            for mode in ("silent", "stranger", "garbage"):
                r.mode = mode
                t0 = time.monotonic()
                resp = e.get("/metrics", headers={"X-Prometheus-Scrape-Timeout-Seconds": "0.8"})
                took = time.monotonic() - t0
                assert resp.status == 200
                fams = parse_text(resp.text)
                assert fams["node_scrape_collector_success"].value(collector="ntp") == 0, mode
                assert "node_ntp_stratum" not in fams or not fams["node_ntp_stratum"].samples
                assert took < 2, (mode, took)  # the query waits no longer than the scrape may
            assert "couldn't get SNTP reply" in e.log
            r.mode = "ok"
            assert e.scrape()["node_scrape_collector_success"].value(collector="ntp") == 1
    finally:
        r.close()


def test_flags_upstream_refuses():
    for bad in ("--collector.ntp.server=192.0.2.1", "--collector.ntp.protocol-version=1",
                "--collector.ntp.server-port=70000", "--collector.ntp.local-offset-tolerance=-5ms"):
        p = subprocess.run([NODE, "--collector.ntp", bad], capture_output=True, text=True, timeout=10)
        assert p.returncode == 2, (bad, p.stderr)
        assert len(p.stderr.strip().splitlines()) == 1, p.stderr
    # a public address is accepted once certified as the local server
    r = Responder()
    try:
        with Exporter("node_exporter", ntp_args(r, "--collector.ntp.server=127.0.0.2",
                                                "--collector.ntp.protocol-version=3")) as e:
            fams = e.scrape()
            # nobody on 127.0.0.2
            assert fams["node_scrape_collector_success"].value(collector="ntp") == 0
    finally:
        r.close()


def test_beside_upstream():
    up = upstream_binary("NODE_EXPORTER_UPSTREAM", "a node_exporter 1.12.1 binary")
    r = Responder()
    try:
        with Exporter("node_exporter", ntp_args(r), binary=up, check_exit=False) as u, \
                Exporter("node_exporter", ntp_args(r)) as o:
            theirs, ours = u.scrape(), o.scrape()
        names = sorted(n for n in theirs if n.startswith("node_ntp_"))
        stable = ("node_ntp_stratum", "node_ntp_leap", "node_ntp_root_delay_seconds",
                  "node_ntp_root_dispersion_seconds", "node_ntp_reference_timestamp_seconds", "node_ntp_sanity")
        same = [n for n in names if n in ours and ours[n].type == theirs[n].type]
        equal = [n for n in stable if ours[n].value() == theirs[n].value()]
        print(f"ntp beside upstream: {len(same)}/{len(names)} families, {len(equal)}/{len(stable)} stable values equal")
        assert len(same) == len(names) == 8
        assert len(equal) == len(stable), {n: (theirs[n].value(), ours[n].value()) for n in stable}
    finally:
        r.close()
