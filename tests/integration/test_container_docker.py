"""container_exporter with the Docker Engine API, against a small stand-in
Docker API server on a unix socket (there is no Docker engine here): a real
cgroup at /docker/<id> holding a real process, and the engine's answers for
that id. Names, images, labels (all, or the whitelisted ones), environment
variables, health, start time and the engine version come through; the
container is inspected once and again only when its list entry changes; an
engine that goes away leaves the page served; --docker_only keeps runtime
containers and the root only."""

import json
import os
import socketserver
import sys
import tempfile
import threading
import http.server

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import cgroups  # noqa: E402
from harness import Exporter, Skip  # noqa: E402

CID = "7e57d0c4e7a15c0ffee00000000000000000000000000000000000000000d0c4"
TOP = f"/ce-docker-{os.getpid()}"


class Engine:
    """The parts of the Docker Engine API container_exporter uses."""

    def __init__(self, path, pid):
        self.path = path
        self.pid = pid
        self.status = "Up 5 minutes (healthy)"
        self.requests = []
        engine = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_GET(self):
                engine.requests.append(self.path)
                body = engine.answer(self.path)
                if body is None:
                    self.send_response(404)
                    self.end_headers()
                    return
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def address_string(self):
                return "unix"

        class Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
            daemon_threads = True

        self.server = Server(path, Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def labels(self):
        return {"com.docker.compose.project": "shop", "com.docker.compose.service": "web",
                "maintainer": "NGINX <docker@nginx.com>"}

    def answer(self, path):
        if path == "/version":
            return {"Version": "27.3.1", "ApiVersion": "1.47"}
        if path.startswith("/containers/json"):
            return [{"Id": CID, "Names": ["/shop-web-1"], "Image": "nginx:1.27", "ImageID": "sha256:abc",
                     "Command": "nginx", "Created": 1714557000, "State": "running", "Status": self.status,
                     "Labels": self.labels(), "HostConfig": {"NetworkMode": "bridge"}}]
        if path == f"/containers/{CID}/json":
            health = "healthy" if "(healthy)" in self.status else "unhealthy"
            return {"Id": CID, "Name": "/shop-web-1", "RestartCount": 2,
                    "Created": "2024-05-01T09:50:00.000000000Z",
                    "State": {"Status": "running", "Running": True, "Pid": self.pid,
                              "StartedAt": "2024-05-01T10:00:00.123456789Z", "Health": {"Status": health}},
                    "Config": {"Image": "nginx:1.27", "Labels": self.labels(),
                               "Env": ["PATH=/usr/local/sbin:/usr/bin", "APP_MODE=prod", "APP_TIER=front",
                                       "SECRET_TOKEN=hunter2"]},
                    "HostConfig": {"NetworkMode": "bridge"}}
        return None

    def count(self, path):
        return sum(1 for p in self.requests if p == path or (path.endswith("*") and p.startswith(path[:-1])))

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


cg = proc = engine = None
tmp = None
docker_parent_existed = True


def setup_module():
    global cg, proc, engine, tmp, docker_parent_existed
    why = cgroups.usable()
    if why:
        raise Skip(why)
    assert len(CID) == 64
    docker_parent_existed = any(os.path.isdir(d + "/docker") for d, _ in cgroups.hierarchies().values())
    cgroups.remove_tree(TOP)
    cgroups.remove_tree(f"/docker/{CID}")
    tmp = tempfile.mkdtemp(prefix="ce-docker-")
    cg = cgroups.Cgroup(f"/docker/{CID}")
    cgroups.Cgroup(f"{TOP}/plain")
    proc = cgroups.spawn("import time\ntime.sleep(600)")
    cg.add(proc.pid)
    engine = Engine(os.path.join(tmp, "docker.sock"), proc.pid)


def teardown_module():
    if engine:
        engine.stop()
    if proc:
        proc.kill()
        proc.wait()
    if cg:
        cg.remove()
    cgroups.remove_tree(f"/docker/{CID}")
    if not docker_parent_existed:
        cgroups.remove_tree("/docker")
    cgroups.remove_tree(TOP)
    if tmp:
        import shutil
        shutil.rmtree(tmp, ignore_errors=True)


def series(fams, family, id_):
    fam = fams.get(family)
    return [(l, v) for n, l, v in (fam.samples if fam else []) if l.get("id") == id_]


def one(fams, family, id_):
    s = series(fams, family, id_)
    assert len(s) == 1, f"{family} for {id_}: {s}"
    return s[0]


def test_names_images_labels_env_health_from_the_engine():
    args = [f"--docker=unix://{engine.path}", "--podman=", "--env_metadata_whitelist=APP_"]
    engine.requests.clear()
    with Exporter("container_exporter", args) as e:
        fams = e.scrape()
        labels, v = one(fams, "container_last_seen", f"/docker/{CID}")
        assert labels["name"] == "shop-web-1"
        assert labels["image"] == "nginx:1.27"
        assert labels["container_label_com_docker_compose_service"] == "web"
        assert labels["container_label_maintainer"] == "NGINX <docker@nginx.com>"
        assert labels["container_label_restartcount"] == "2"
        assert labels["container_env_app_mode"] == "prod"
        assert labels["container_env_app_tier"] == "front"
        assert "container_env_secret_token" not in labels
        # Every series carries the union of label names: "" on the root.
        root, _ = one(fams, "container_last_seen", "/")
        assert root["name"] == "" and root["container_label_com_docker_compose_service"] == ""
        assert one(fams, "container_health_state", f"/docker/{CID}")[1] == 1
        assert one(fams, "container_health_state", "/")[1] == -1
        # The engine's start time; the creation time stays the cgroup's.
        assert one(fams, "container_start_time_seconds", f"/docker/{CID}")[1] == 1714557600
        info = fams["cadvisor_version_info"].samples[0][1]
        assert info["dockerVersion"] == "27.3.1"
        # A plain cgroup has no name label value.
        assert one(fams, "container_last_seen", f"{TOP}/plain")[0]["name"] == ""
        # The list on every scrape, the inspection once.
        e.scrape()
        e.scrape()
        assert engine.count("/containers/json*") == 3
        assert engine.count(f"/containers/{CID}/json") == 1
        # A changed list entry (health) makes it inspected again.
        engine.status = "Up 6 minutes (unhealthy)"
        fams = e.scrape()
        assert one(fams, "container_health_state", f"/docker/{CID}")[1] == 0
        assert engine.count(f"/containers/{CID}/json") == 2
        engine.status = "Up 5 minutes (healthy)"


def test_whitelisted_labels_and_docker_only():
    args = [f"--docker=unix://{engine.path}", "--podman=", "--store_container_labels=false",
            "--whitelisted_container_labels=com.docker.compose.service, com.docker.compose.project",
            "--docker_only"]
    with Exporter("container_exporter", args) as e:
        fams = e.scrape()
        labels, _ = one(fams, "container_last_seen", f"/docker/{CID}")
        assert labels["container_label_com_docker_compose_project"] == "shop"
        assert "container_label_maintainer" not in labels
        # --docker_only: the root and runtime containers only.
        seen = {l.get("id") for n, l, v in fams["container_last_seen"].samples}
        assert "/" in seen and f"/docker/{CID}" in seen
        assert f"{TOP}/plain" not in seen and "/docker" not in seen


def test_engine_gone_page_still_served():
    path = os.path.join(tmp, "gone.sock")
    args = [f"--docker=unix://{path}", "--podman="]
    with Exporter("container_exporter", args) as e:
        fams = e.scrape()
        # No engine: the name from the path (the id), no image.
        labels, _ = one(fams, "container_last_seen", f"/docker/{CID}")
        assert labels["name"] == CID
        assert fams["container_scrape_error"].value() == 0
