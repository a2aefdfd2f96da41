#!/usr/bin/env python3
"""Side by side: Debian's prometheus-postgres-exporter (0.11.1) and our
pg_exporter on the same PostgreSQL server. For every family upstream
exposes: does ours expose it with the same type and label names?

Each difference must be one of the documented ones below (README.md lists
them with the same reasons); compare() returns the figures and the
unexplained differences.

Run on its own to print the report:
    python3 tests/lib/pg_compare.py
"""

import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Exporter, Skip, wait_for  # noqa: E402
from pg import PgServer  # noqa: E402

UPSTREAM = "/usr/bin/prometheus-postgres-exporter"

# Families whose label sets differ from 0.11.1 because upstream changed them
# after 0.11 (our target is 0.20). Matched by regex on the family name.
DOCUMENTED = [
    (r"^go_", "Go runtime metrics: not a Go program"),
    (r"^pg_stat_activity_(count|max_tx_duration)$",
     "0.17 added the usename, application_name, backend_type, wait_event_type and wait_event labels "
     "(and 0.20 dropped `server`)"),
    (r"^pg_stat_database_(active_time|checksum_failures|checksum_last_failure|idle_in_transaction_time|"
     r"session_time|sessions|sessions_abandoned|sessions_fatal|sessions_killed)$",
     "0.11's legacy map exported unknown pg_stat_database columns as untyped; since 0.15 the "
     "stat_database collector exports a fixed set (active_time as pg_stat_database_active_time_seconds_total)"),
    (r"^postgres_exporter_build_info$",
     "the build_info of newer client_golang (0.20's) has a `tags` label 0.11.1's lacks"),
    (r"^pg_stat_archiver_last_archive_age$",
     "0.20 leaves the series out while nothing was ever archived (NULL); 0.11 reported NaN"),
]
# 0.20.0 moved these families out of the legacy map and they lost the
# constant `server` label; 0.15 did the same for the database and
# stat_bgwriter collectors.
SERVER_DROPPED = "the `server` label was removed upstream (0.15/0.20); our families follow 0.20"


def families(text):
    """{name: (type, frozenset(label names))} from an exposition."""
    fams = {}
    types = {}
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, typ = line.split(" ", 3)
            types[name] = typ
            fams.setdefault(name, (typ, set()))
        elif line and not line.startswith("#"):
            m = re.match(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s", line)
            if not m:
                continue
            name = m.group(1)
            base = name
            if base not in types:
                for suf in ("_bucket", "_sum", "_count"):
                    if name.endswith(suf) and name[: -len(suf)] in types:
                        base = name[: -len(suf)]
            labels = set(re.findall(r'([a-zA-Z_][a-zA-Z0-9_]*)="', m.group(3) or ""))
            labels -= {"le", "quantile"}
            typ, ls = fams.setdefault(base, (types.get(base, "untyped"), set()))
            ls |= labels
    return {n: (t, frozenset(l)) for n, (t, l) in fams.items()}


def compare(upstream_text, ours_text):
    up = families(upstream_text)
    ours = families(ours_text)
    rows = []
    for name in sorted(up):
        utype, ulabels = up[name]
        if name not in ours:
            status = "missing"
        else:
            otype, olabels = ours[name]
            if otype != utype:
                status = "type"
            elif olabels == ulabels:
                status = "same"
            elif olabels == ulabels - {"server"}:
                status = "server"
            else:
                status = "labels"
        reason = None
        if status == "server":
            reason = SERVER_DROPPED
        elif status != "same":
            reason = next((r for pat, r in DOCUMENTED if re.search(pat, name)), None)
        rows.append((name, status, reason, up[name], ours.get(name)))
    total = len(rows)
    nongo = [r for r in rows if not r[0].startswith("go_")]
    same = sum(1 for r in rows if r[1] == "same")
    same_or_server = sum(1 for r in rows if r[1] in ("same", "server"))
    return {
        "total": total,
        "same": same,
        "same_or_server": same_or_server,
        "total_non_go": len(nongo),
        "same_or_server_non_go": sum(1 for r in nongo if r[1] in ("same", "server")),
        "rows": rows,
        "unexplained": [r for r in rows if r[1] != "same" and r[2] is None],
        "only_ours": sorted(set(ours) - set(up)),
    }


def server():
    """A server that archives WAL, so pg_stat_archiver has an age to report."""
    return PgServer(settings={"archive_mode": "on", "archive_command": "'/bin/true'"})


def prepare(srv):
    srv.sql("SELECT pg_switch_wal() FROM (SELECT txid_current()) x")
    wait_for(lambda: int(srv.sql("SELECT archived_count FROM pg_stat_archiver")) >= 1, 20,
             what="a WAL segment to be archived")
    srv.sql("""
        CREATE TABLE IF NOT EXISTS cmp_t(a int PRIMARY KEY);
        INSERT INTO cmp_t SELECT g FROM generate_series(1, 100) g ON CONFLICT DO NOTHING;
        SELECT pg_create_physical_replication_slot('cmp_slot', true)
          WHERE NOT EXISTS (SELECT 1 FROM pg_replication_slots WHERE slot_name = 'cmp_slot');
    """)


def run(srv):
    """Scrape both exporters against srv; returns (upstream text, our text)."""
    if not os.path.exists(UPSTREAM):
        raise Skip(f"{UPSTREAM} (Debian package prometheus-postgres-exporter) is not installed")
    env = {"DATA_SOURCE_NAME": srv.dsn_uri()}
    with Exporter("postgres_exporter", [], env=env, binary=UPSTREAM, check_exit=False) as up:
        up_text = up.get("/metrics").text
    with Exporter("pg_exporter", [], env=env) as ours:
        ours_text = ours.get("/metrics").text
    return up_text, ours_text


def report(res):
    pct = lambda a, b: f"{a}/{b} = {100.0 * a / b:.1f}%"  # noqa: E731
    lines = [
        f"families of 0.11.1 exposed by ours with the same type and labels: {pct(res['same'], res['total'])}",
        f"... counting the `server` label upstream removed after 0.11: {pct(res['same_or_server'], res['total'])}",
        f"... and leaving out go_* runtime families: {pct(res['same_or_server_non_go'], res['total_non_go'])}",
        "differences:",
    ]
    for name, status, reason, u, o in res["rows"]:
        if status not in ("same", "server"):
            lines.append(f"  {name}: {status} (upstream {u[0]} {sorted(u[1])}, ours "
                         f"{(o[0] + ' ' + str(sorted(o[1]))) if o else '-'}): {reason or 'UNEXPLAINED'}")
    server = sorted(r[0] for r in res["rows"] if r[1] == "server")
    lines.append(f"  {len(server)} families without `server` ({SERVER_DROPPED}), e.g. {', '.join(server[:4])}")
    lines.append(f"families only ours exposes (0.20's collectors and more): {len(res['only_ours'])}")
    return "\n".join(lines)


def main():
    srv = server().start()
    try:
        prepare(srv)
        res = compare(*run(srv))
        print(report(res))
        return 1 if res["unexplained"] else 0
    finally:
        srv.cleanup()


if __name__ == "__main__":
    sys.exit(main())
