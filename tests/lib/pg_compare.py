#!/usr/bin/env python3
"""Side by side on the same PostgreSQL server: our pg_exporter and
- postgres_exporter 0.20.1, the release ours replaces, when a binary is
  given (--upstream PATH, or $PG_EXPORTER_UPSTREAM): every family of the
  two (but Go's runtime ones) with the same type and label names, and the
  values that are stable between two scrapes equal; with no flags, and with
  upstream's example queries.yaml (--extend.query-path);
- Debian's prometheus-postgres-exporter 0.11.1 (always, when installed):
  for every family it exposes, does ours expose it with the same type and
  label names? Each difference must be one of the documented ones below
  (README.md lists them with the same reasons).

Run on its own to print the report:
    python3 tests/lib/pg_compare.py [--upstream /path/to/postgres_exporter-0.20.1]
"""

import argparse
import math
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import ROOT, Exporter, Skip, parse_text, wait_for  # noqa: E402
from pg import PgServer  # noqa: E402

UPSTREAM = "/usr/bin/prometheus-postgres-exporter"
UPSTREAM_020 = os.environ.get("PG_EXPORTER_UPSTREAM", "")
QUERIES = os.path.join(ROOT, "tests", "data", "postgres_exporter-queries.yaml")
# Families of the Go runtime and of client_golang's HTTP handler: not ours to match.
NOT_OURS = re.compile(r"^(go_|promhttp_)")
# Differences from 0.20.1 that are deliberate (README.md, "Deliberate differences").
DOCUMENTED_020 = [
    (r"^pg_stat_user_tables_", "custom-query family also exported by a collector: the collector's stays "
     "(upstream mixes both series in one family)"),
    (r"^process_network_(receive|transmit)_bytes_total$",
     "client_golang's process collector counts the network namespace's traffic; the suite's process_* "
     "families (common/procself.c) do not have these two"),
]

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


def run_020(srv, binary, args=(), env=None):
    """Scrape 0.20.1 and ours twice each with the same flags and environment;
    returns ((upstream first, second), (ours first, second))."""
    full = {"DATA_SOURCE_NAME": srv.dsn_uri()}
    full.update(env or {})
    texts = []
    # an idle session, for the example queries' pg_process_idle (upstream's own
    # second connection would otherwise be the only idle one)
    idle = srv.session()
    idle.send("SELECT 1;")
    for name, exe in (("postgres_exporter", binary), ("pg_exporter", None)):
        with Exporter(name, list(args), env=full, binary=exe, check_exit=exe is None) as e:
            first = e.get("/metrics").text
            time.sleep(0.2)
            texts.append((first, e.get("/metrics").text))
    idle.close()
    return texts[0], texts[1]


def stable_values(a, b):
    """{(family, sample name, labels): value} of the samples equal in two scrapes."""
    out = {}
    pa, pb = parse_text(a), parse_text(b)
    for name, fam in pa.items():
        if name not in pb:
            continue
        second = {(n, tuple(sorted(l.items()))): v for n, l, v in pb[name].samples}
        for n, l, v in fam.samples:
            key = (n, tuple(sorted(l.items())))
            w = second.get(key)
            if w is not None and (w == v or (math.isnan(v) and math.isnan(w))):
                out[(name,) + key] = v
    return out


def compare_020(up, ours):
    """up, ours: (first, second) scrapes. Family shapes and stable values."""
    uf = {n: f for n, f in families(up[0]).items() if not NOT_OURS.match(n)}
    of = {n: f for n, f in families(ours[0]).items() if not NOT_OURS.match(n)}
    rows = []
    for name in sorted(set(uf) | set(of)):
        u, o = uf.get(name), of.get(name)
        if u == o:
            status = "same"
        elif not o:
            status = "missing"
        elif not u:
            status = "only ours"
        elif u[0] != o[0]:
            status = "type"
        else:
            status = "labels"
        reason = None if status == "same" else next(
            (r for pat, r in DOCUMENTED_020 if re.search(pat, name)), None)
        rows.append((name, status, reason, u, o))
    us, os_ = stable_values(*up), stable_values(*ours)
    # values that are not the exporter's own (its scrape counters, timings, process)
    exporters_own = re.compile(r"^(pg_exporter_|pg_scrape_collector_duration|process_|"
                               r"postgres_exporter_config_last_reload_success_timestamp|postgres_exporter_build_info|"
                               r"pg_stat_activity_|pg_stat_database_|pg_locks_count|pg_stat_user_tables_|"
                               r"pg_statio_user_tables_|pg_stat_bgwriter_|pg_wal_|pg_process_idle|"
                               # WAL positions move with any write between the two exporters' runs
                               r"pg_replication_slots_(slot_current_wal_lsn|pg_wal_lsn_diff))")
    common = [k for k in us if k in os_ and not exporters_own.match(k[0])]
    equal = [k for k in common if us[k] == os_[k] or (math.isnan(us[k]) and math.isnan(os_[k]))]
    return {
        "total": len(uf),
        "same": sum(1 for r in rows if r[1] == "same"),
        "rows": rows,
        "unexplained": [r for r in rows if r[1] != "same" and r[2] is None],
        "values": len(common),
        "values_equal": len(equal),
        "values_differ": [(k, us[k], os_[k]) for k in common if k not in equal],
    }


def report_020(res, what):
    lines = [f"0.20.1 {what}: families of 0.20.1 (without go_*/promhttp_*) ours exposes with the same type "
             f"and labels: {res['same']}/{res['total']}; stable values compared: {res['values']}, "
             f"equal: {res['values_equal']}"]
    for name, status, reason, u, o in res["rows"]:
        if status != "same":
            lines.append(f"  {name}: {status} (0.20.1 {u}, ours {o}): {reason or 'UNEXPLAINED'}")
    for k, u, o in res["values_differ"][:20]:
        lines.append(f"  value differs: {k}: 0.20.1 {u}, ours {o}")
    return "\n".join(lines)


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
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--upstream", default=UPSTREAM_020, help="a postgres_exporter 0.20.1 binary")
    args = ap.parse_args()
    srv = server().start()
    status = 0
    try:
        prepare(srv)
        if args.upstream:
            for what, flags in (("with no flags", []),
                                ("with the example queries.yaml", [f"--extend.query-path={QUERIES}"]),
                                ("with it and --no-collector.stat_user_tables",
                                 [f"--extend.query-path={QUERIES}", "--no-collector.stat_user_tables"])):
                res = compare_020(*run_020(srv, args.upstream, flags))
                print(report_020(res, what))
                status |= bool(res["unexplained"])
        if os.path.exists(UPSTREAM):
            res = compare(*run(srv))
            print(report(res))
            status |= bool(res["unexplained"])
        return status
    finally:
        srv.cleanup()


if __name__ == "__main__":
    sys.exit(main())
