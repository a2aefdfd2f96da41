"""The landing page, as a person sees it when something is wrong: node_exporter
with a collector that fails next to collectors with no data on this host, and
redis_exporter and pg_exporter with their backend refusing them (a wrong
password in the address: the password must not show) or down. The HTML is
checked, every link on it must answer 200, showing it must not scrape, and
Debian's headless Chromium renders it: a screenshot at a fixed window size
with the page's colours in it, and the DOM with the states."""

import os
import re
import sys
import tempfile
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import chromium  # noqa: E402
from harness import Exporter, free_port, http_get, parse_text  # noqa: E402

HDR = {"X-Prometheus-Scrape-Timeout-Seconds": "3"}
WIDTH, HEIGHT = 1024, 768

# The page's colours (common/landing.c): header, ok, failed or down, no data.
ORANGE, GREEN, RED, GREY = (0xE6, 0x52, 0x2C), (0x1A, 0x7F, 0x37), (0xCF, 0x22, 0x2E), (0x6E, 0x77, 0x81)


def rows(page, kind):
    """[(name, state)] of the page's <tr class="kind"> rows, sorted."""
    return sorted(re.findall(rf'<tr class="{kind}" data-{kind}="([^"]*)" data-state="([a-z]+)">', page))


def handled(e):
    """Scrapes served so far (the telemetry path's own counter)."""
    f = e.scrape(headers=HDR)["promhttp_metric_handler_requests_total"]
    return sum(v for _, _, v in f.samples)


def row(page, kind, name):
    m = re.search(rf'<tr class="{kind}" data-{kind}="{re.escape(name)}"[^>]*>(.*?)</tr>', page)
    assert m, f"no {kind} row {name} in\n{page}"
    return m.group(1)


def landing(e):
    r = e.get("/")
    assert r.status == 200 and r.header("Content-Type").startswith("text/html"), r.status
    return r.text


def links_answer_200(e, page):
    hrefs = re.findall(r'href="([^"]*)"', page)
    assert hrefs
    for href in hrefs:
        assert not href.startswith(("/", "http")), href  # relative: a proxy's prefix is kept
        path = "/" + href.replace("&amp;", "&")
        r = e.get(path, HDR)
        assert r.status == 200, f"link {href}: HTTP {r.status} {r.text[:200]}"
    return hrefs


def render(url, expect_colours, expect_dom):
    """Chromium's screenshot (not blank: the page's colours, the window's size) and DOM."""
    with tempfile.TemporaryDirectory(prefix="itest-shot-") as d:
        png = os.path.join(d, "landing.png")
        png = os.environ.get("LANDING_KEEP_PNG", png)
        chromium.screenshot(url, png, WIDTH, HEIGHT)
        assert os.path.getsize(png) > 5000, os.path.getsize(png)
        w, h, pixels = chromium.png_pixels(png)
    assert (w, h) == (WIDTH, HEIGHT), (w, h)
    seen = {}
    for line in pixels:
        for px in line:
            seen[px] = seen.get(px, 0) + 1
    assert len(seen) > 20, f"{len(seen)} colours: a blank page?"
    white = seen.get((255, 255, 255), 0)
    assert white < 0.98 * w * h, "nearly all white"
    for colour in expect_colours:
        # Badges are small, the header wide: a few hundred pixels at least.
        assert seen.get(colour, 0) > 200, f"colour {colour} in {seen.get(colour, 0)} pixels only"
    dom = chromium.dump_dom(url)
    for text in expect_dom:
        assert text in dom, f"{text!r} not in the rendered DOM:\n{dom[:3000]}"
    return dom


def node_tree(root):
    """A procfs where loadavg is garbage (failed), meminfo real (ok), and no
    mdstat nor pressure (no data); its path holds characters to escape."""
    proc = os.path.join(root, "proc<&>")
    os.makedirs(proc)
    with open(os.path.join(proc, "loadavg"), "w") as f:
        f.write("not a load average\n")
    with open("/proc/meminfo") as src, open(os.path.join(proc, "meminfo"), "w") as f:
        f.write(src.read())
    return ["--path.procfs=" + proc, "--path.sysfs=" + os.path.join(root, "sys"),
            "--collector.disable-defaults", "--collector.loadavg", "--collector.meminfo",
            "--collector.mdadm", "--collector.pressure"]


def test_node_collector_states():
    with tempfile.TemporaryDirectory(prefix="itest-landing-") as root:
        with Exporter("node_exporter", node_tree(root)) as e:
            # Before any scrape: nothing run, and showing the page runs nothing.
            for _ in range(3):
                page = landing(e)
            assert {st for _, st in rows(page, "collector")} == {"pending"}, rows(page, "collector")
            m = e.scrape(headers=HDR)
            ok = {l["collector"]: v for _, l, v in m["node_scrape_collector_success"].samples}
            assert ok == {"loadavg": 0, "meminfo": 1, "mdadm": 0, "pressure": 0}, ok

            page = landing(e)
            assert rows(page, "collector") == [("loadavg", "failed"), ("mdadm", "nodata"), ("meminfo", "ok"),
                                               ("pressure", "nodata")], rows(page, "collector")
            # The failure with its reason, the path escaped; no data is not shown as failed.
            assert "invalid load average &#39;not&#39; in " in row(page, "collector", "loadavg")
            assert "proc&lt;&amp;&gt;/loadavg" in page and "proc<&>" not in page
            assert "failed" not in row(page, "collector", "mdadm")
            assert "pressure information is unavailable" in row(page, "collector", "pressure")
            assert 'class="num">0<' not in row(page, "collector", "meminfo")  # its series counted
            assert "node_exporter version " in page
            assert "75 disabled" in page or re.search(r"\d+ disabled", page)
            hrefs = links_answer_200(e, page)
            assert set(hrefs) == {"metrics", "-/healthy"}, hrefs

            before = handled(e)
            url = f"http://127.0.0.1:{e.port}/"
            render(url, [ORANGE, GREEN, RED, GREY],
                   ['data-collector="loadavg" data-state="failed"', 'data-collector="mdadm" data-state="nodata"',
                    'data-collector="meminfo" data-state="ok"', "no data", "proc&lt;&amp;&gt;/loadavg"])
            # The browser's visits scraped nothing: one more scrape is ours.
            assert handled(e) == before + 1


REDIS_SECRET = "Wr0ng-Secret-41"


def test_redis_target_refused_and_down():
    from redis_harness import RedisServer
    srv = RedisServer(password="right-Pa55")
    dead = free_port()
    try:
        addr = f"redis://:{REDIS_SECRET}@127.0.0.1:{srv.port}"
        with Exporter("redis_exporter", [f"--redis.addr={addr}"]) as e:
            page = landing(e)
            name = f"redis://127.0.0.1:{srv.port}"
            assert rows(page, "target") == [(name, "pending")], rows(page, "target")

            m = e.scrape(headers=HDR)
            assert m["redis_up"].value() == 0
            r = e.get(f"/scrape?target=redis://127.0.0.1:{dead}", HDR)
            assert r.status == 200 and parse_text(r.text)["redis_up"].value() == 0

            page = landing(e)
            states = rows(page, "target")
            assert states == sorted([(name, "down"), (f"redis://127.0.0.1:{dead}", "down")]), states
            assert re.search(r"WRONGPASS|invalid password|AUTH", row(page, "target", name)), row(page, "target", name)
            assert "refused" in row(page, "target", f"redis://127.0.0.1:{dead}").lower()
            assert "per request" in row(page, "target", f"redis://127.0.0.1:{dead}")
            # The secret is nowhere: page, metrics, log.
            for where, text in (("page", page), ("metrics", e.get("/metrics", HDR).text), ("log", e.log)):
                assert REDIS_SECRET not in text, f"the password shows in the {where}"

            hrefs = links_answer_200(e, page)
            # The example of /scrape is the configured target, which it accepts; /scrape alone answers 400.
            assert "scrape" not in hrefs and any(h.startswith("scrape?target=") for h in hrefs), hrefs
            assert e.get("/scrape").status == 400

            dom = render(f"http://127.0.0.1:{e.port}/", [ORANGE, RED],
                         [f'data-target="{name}" data-state="down"', "per request"])
            assert REDIS_SECRET not in dom
    finally:
        srv.cleanup()


def test_pg_target_refused_then_probe_up():
    from pg import EXPORTER_PASSWORD, PgServer
    secret = "Wr0ng-pg-Secret-77"
    srv = PgServer().start()
    try:
        dsn = f"postgresql://exporter:{secret}@127.0.0.1:{srv.port}/postgres?sslmode=disable"
        with Exporter("pg_exporter", [], env={"DATA_SOURCE_NAME": dsn}) as e:
            m = e.scrape(headers=HDR)
            assert m["pg_up"].value() == 0
            good = srv.dsn_uri()
            assert EXPORTER_PASSWORD in good
            r = http_get(e.port, "/probe?target=" + urllib.parse.quote(good, safe=""), HDR)
            assert r.status == 200 and parse_text(r.text)["pg_up"].value() == 1, r.text[:500]

            page = landing(e)
            # Both are the same server, described alike: the configured one down, the probe's up.
            name = f"127.0.0.1:{srv.port}/postgres"
            assert rows(page, "target") == [(name, "down"), (name, "ok")], rows(page, "target")
            configured = row(page, "target", name)
            assert "configured" in configured and "password authentication failed" in configured, configured
            for where, text in (("page", page), ("metrics", e.get("/metrics", HDR).text), ("log", e.log)):
                assert secret not in text, f"the wrong password shows in the {where}"
                assert EXPORTER_PASSWORD not in text, f"the probe's password shows in the {where}"
            links_answer_200(e, page)
            render(f"http://127.0.0.1:{e.port}/", [ORANGE, RED, GREEN],
                   [f'data-target="{name}" data-state="down"', "password authentication failed"])
    finally:
        srv.cleanup()


def test_clickhouse_and_container_pages():
    """The two other exporters on this branch: the same page from common/."""
    from clickhouse_harness import ch_exporter
    secret = "Ch-Secret-93"
    dead = free_port()
    with ch_exporter([f"-scrape_uri=http://default:{secret}@127.0.0.1:{dead}/"]) as e:
        assert e.scrape(headers=HDR)["clickhouse_up"].value() == 0
        page = landing(e)
        name = f"http://127.0.0.1:{dead}/"
        assert rows(page, "target") == [(name, "down")], rows(page, "target")
        assert re.search(r"(?i)refused|connect", row(page, "target", name)), row(page, "target", name)
        for where, text in (("page", page), ("metrics", e.get("/metrics", HDR).text), ("log", e.log)):
            assert secret not in text, f"the password shows in the {where}"
        hrefs = links_answer_200(e, page)
        assert any(h.startswith("probe?target=") for h in hrefs), hrefs
    # Its own handler, no collectors nor targets: the version and links that work.
    with Exporter("container_exporter", ["--docker=", "--podman="]) as e:
        page = landing(e)
        assert "container_exporter version " in page and "<h2>" not in page
        assert set(links_answer_200(e, page)) == {"metrics", "-/healthy"}
