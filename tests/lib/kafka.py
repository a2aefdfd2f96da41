"""A real Apache Kafka broker for the kafka_exporter tests: one single-node KRaft
broker (combined broker and controller) on loopback, from Maven Central jars.

The JVM is started once per test session, not per module: the first module that
asks for it starts it and records it in the session directory ($TEST_SESSION_DIR,
made by tests/lib/runner.py or tests/run-all), later modules (other processes,
possibly in parallel) reuse it, and the runner stops it at the end of the session
(stop_session). Modules hold a shared lock on the broker while they run; a module
that stops, freezes or restarts it takes the lock exclusively, so it never
disturbs another module's tests.

The session's broker is Kafka KAFKA_VERSION ($KAFKA_TEST_VERSION, default 4.4.0);
shared_broker(OLD_VERSION) starts a second one of the last 3.x release, once per
session too, for what only 3.x brokers allow (SCRAM with librdkafka < 2.6.1).

Listeners:
  PLAINTEXT       127.0.0.1:port        no authentication
  SASL_PLAINTEXT  127.0.0.1:sasl_port   PLAIN and SCRAM-SHA-256/512, user SASL_USER
Jars: $KAFKA_TEST_LIBS (the default version's), else ~/.cache/exporter-suite/kafka-<version>,
resolved with tests/kafka/pom.xml by Maven (scripts/install-deps test installs Maven and the
JDK).
"""

import fcntl
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid

from harness import ROOT, Skip, free_port, wait_for

KAFKA_VERSION = os.environ.get("KAFKA_TEST_VERSION", "4.4.0")
OLD_VERSION = "3.9.1"
POM = os.path.join(ROOT, "tests", "kafka", "pom.xml")
HEAP = os.environ.get("KAFKA_TEST_HEAP", "192m")
JAVA = os.environ.get("JAVA", "java")
READY_TIMEOUT = float(os.environ.get("KAFKA_TEST_READY_TIMEOUT", "180"))

SASL_USER = "exporter"
SASL_PASSWORD = "kafka-Sasl-s3cret"

# Held for the lifetime of the module's process: shared or exclusive use of the broker.
_use_lock = None


def session_dir():
    d = os.environ.get("TEST_SESSION_DIR")
    if not d:
        # A module run on its own (no runner): a private session, stopped at exit.
        d = tempfile.mkdtemp(prefix="test-session-")
        os.environ["TEST_SESSION_DIR"] = d
        import atexit
        atexit.register(lambda: (stop_session(d), shutil.rmtree(d, ignore_errors=True)))
    os.makedirs(d, exist_ok=True)
    return d


def libs_dir(version=KAFKA_VERSION):
    if version == KAFKA_VERSION and os.environ.get("KAFKA_TEST_LIBS"):
        return os.environ["KAFKA_TEST_LIBS"]
    return os.path.expanduser(f"~/.cache/exporter-suite/kafka-{version}")


def resolve_libs(version=KAFKA_VERSION):
    """A version's jars, resolved once into libs_dir(version) (about 45 MB)."""
    libs = libs_dir(version)
    if os.path.exists(os.path.join(libs, ".complete")):
        return libs
    if not shutil.which("mvn") or not shutil.which(JAVA):
        raise Skip("Maven and a JDK are needed for the Kafka broker (scripts/install-deps test)")
    tmp = libs + f".tmp{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    r = subprocess.run(["mvn", "-B", "-q", "-Dstyle.color=never", "-f", POM, f"-Dkafka.version={version}",
                        "dependency:copy-dependencies", "-Dmdep.includeScope=runtime", f"-DoutputDirectory={tmp}"],
                       capture_output=True, timeout=900)
    if r.returncode != 0:
        shutil.rmtree(tmp, ignore_errors=True)
        raise AssertionError(f"mvn could not resolve the Kafka jars:\n{r.stdout.decode()[-3000:]}{r.stderr.decode()[-2000:]}")
    open(os.path.join(tmp, ".complete"), "w").close()
    try:
        os.rename(tmp, libs)
    except OSError:  # resolved meanwhile by another process
        shutil.rmtree(tmp, ignore_errors=True)
    return libs


def _tool_log_config(d):
    path = os.path.join(d, "tools-log4j2.properties")
    if not os.path.exists(path):
        with open(path, "w") as f:
            f.write("rootLogger.level = WARN\nrootLogger.appenderRef.e.ref = E\n"
                    "appender.e.type = Console\nappender.e.name = E\nappender.e.target = SYSTEM_ERR\n"
                    "appender.e.layout.type = PatternLayout\nappender.e.layout.pattern = %p %m%n\n")
    return path


def java_tool(cls, *args, timeout=120, check=True, heap="128m", version=KAFKA_VERSION):
    """Run one of Kafka's command-line classes (short-lived JVM)."""
    libs = resolve_libs(version)
    d = session_dir()
    argv = [JAVA, f"-Xmx{heap}", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
            f"-Dlog4j2.configurationFile={_tool_log_config(d)}", "-cp", os.path.join(libs, "*"), cls, *args]
    r = subprocess.run(argv, capture_output=True, timeout=timeout)
    if check and r.returncode != 0:
        raise AssertionError(f"{cls} {' '.join(args)} failed ({r.returncode}):\n{r.stdout.decode()[-2000:]}"
                             f"{r.stderr.decode()[-3000:]}")
    return r


class Broker:
    """The session's broker, as recorded in its state file."""

    def __init__(self, state):
        self.port = state["port"]
        self.sasl_port = state["sasl_port"]
        self.controller_port = state["controller_port"]
        self.dir = state["dir"]
        self.pid = state["pid"]
        self.version = state.get("version", KAFKA_VERSION)

    @property
    def bootstrap(self):
        return f"127.0.0.1:{self.port}"

    @property
    def sasl_bootstrap(self):
        return f"127.0.0.1:{self.sasl_port}"

    def alive(self):
        try:
            os.kill(self.pid, 0)
            return True
        except OSError:
            return False

    def ready(self):
        if not self.alive():
            return False
        try:
            with open(os.path.join(self.dir, "server.log"), errors="replace") as f:
                if "Kafka Server started" not in f.read():
                    return False
            socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
            return True
        except OSError:
            return False

    # ---- disruptive operations: only with exclusive use (exclusive_broker) ----

    def stop(self, timeout=60):
        _stop_pid(self.pid, timeout)

    def start(self):
        """Start the stopped broker again on the same ports and data."""
        self.pid = _launch(self.dir, self.version)
        _save_state(self)
        self.wait_ready()

    def wait_ready(self, timeout=READY_TIMEOUT):
        wait_for(self.ready, timeout, interval=0.25, what="the Kafka broker to be ready")

    def freeze(self):
        os.kill(self.pid, signal.SIGSTOP)

    def thaw(self):
        os.kill(self.pid, signal.SIGCONT)

    # ---- tools ----

    def topics(self, *args, **kw):
        return java_tool("org.apache.kafka.tools.TopicCommand", "--bootstrap-server", self.bootstrap, *args, **kw)

    def groups(self, *args, **kw):
        return java_tool("org.apache.kafka.tools.consumer.group.ConsumerGroupCommand", "--bootstrap-server",
                         self.bootstrap, *args, **kw)


def _suffix(version):
    return "" if version == KAFKA_VERSION else f"-{version}"


def _state_path(d, version=KAFKA_VERSION):
    return os.path.join(d, f"kafka-broker{_suffix(version)}.json")


def _save_state(b):
    path = _state_path(os.path.dirname(b.dir), b.version)
    with open(path + ".tmp", "w") as f:
        json.dump({"port": b.port, "sasl_port": b.sasl_port, "controller_port": b.controller_port,
                   "dir": b.dir, "pid": b.pid, "version": b.version}, f)
    os.rename(path + ".tmp", path)


def _write_config(d, port, sasl_port, controller_port):
    data = os.path.join(d, "data")
    os.makedirs(data, exist_ok=True)
    jaas_plain = (f'org.apache.kafka.common.security.plain.PlainLoginModule required '
                  f'user_{SASL_USER}="{SASL_PASSWORD}";')
    scram = "org.apache.kafka.common.security.scram.ScramLoginModule required;"
    props = {
        "process.roles": "broker,controller",
        "node.id": "1",
        "controller.quorum.voters": f"1@127.0.0.1:{controller_port}",
        "listeners": f"PLAINTEXT://127.0.0.1:{port},SASL_PLAINTEXT://127.0.0.1:{sasl_port},"
                     f"CONTROLLER://127.0.0.1:{controller_port}",
        "advertised.listeners": f"PLAINTEXT://127.0.0.1:{port},SASL_PLAINTEXT://127.0.0.1:{sasl_port}",
        "controller.listener.names": "CONTROLLER",
        "inter.broker.listener.name": "PLAINTEXT",
        "listener.security.protocol.map": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT",
        "sasl.enabled.mechanisms": "PLAIN,SCRAM-SHA-256,SCRAM-SHA-512",
        "listener.name.sasl_plaintext.plain.sasl.jaas.config": jaas_plain,
        "listener.name.sasl_plaintext.scram-sha-256.sasl.jaas.config": scram,
        "listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config": scram,
        "log.dirs": data,
        "num.partitions": "1",
        "offsets.topic.replication.factor": "1",
        "offsets.topic.num.partitions": "1",
        "transaction.state.log.replication.factor": "1",
        "transaction.state.log.min.isr": "1",
        "share.coordinator.state.topic.replication.factor": "1",
        "share.coordinator.state.topic.min.isr": "1",
        "group.initial.rebalance.delay.ms": "0",
        "auto.create.topics.enable": "false",
        "num.network.threads": "2",
        "num.io.threads": "2",
        "num.recovery.threads.per.data.dir": "1",
        "background.threads": "2",
        "log.retention.check.interval.ms": "300000",
        # The default 128 MiB dedupe buffer does not fit a small heap.
        "log.cleaner.dedupe.buffer.size": "8388608",
    }
    with open(os.path.join(d, "server.properties"), "w") as f:
        for k, v in props.items():
            f.write(f"{k}={v}\n")
    with open(os.path.join(d, "log4j2.properties"), "w") as f:
        f.write(f"rootLogger.level = INFO\nrootLogger.appenderRef.f.ref = F\nappender.f.type = File\n"
                f"appender.f.name = F\nappender.f.fileName = {d}/server.log\nappender.f.layout.type = PatternLayout\n"
                f"appender.f.layout.pattern = [%d] %p %m (%c)%n\n")


def _launch(d, version):
    libs = resolve_libs(version)
    out = open(os.path.join(d, "stdout.log"), "ab")
    open(os.path.join(d, "server.log"), "w").close()
    p = subprocess.Popen([JAVA, f"-Xmx{HEAP}", "-Xms64m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                          "-Djava.awt.headless=true", f"-Dlog4j2.configurationFile={d}/log4j2.properties",
                          "-cp", os.path.join(libs, "*"), "kafka.Kafka", os.path.join(d, "server.properties")],
                         stdout=out, stderr=out, stdin=subprocess.DEVNULL, start_new_session=True)
    out.close()
    return p.pid


def _stop_pid(pid, timeout=60):
    try:
        os.kill(pid, signal.SIGCONT)  # a frozen broker cannot act on SIGTERM
        os.kill(pid, signal.SIGTERM)
    except OSError:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            # The broker is not our child when another process started it.
            if os.waitpid(pid, os.WNOHANG)[0] == pid:
                return
        except ChildProcessError:
            pass
        try:
            os.kill(pid, 0)
        except OSError:
            return
        time.sleep(0.2)
    try:
        os.kill(pid, signal.SIGKILL)
    except OSError:
        pass


def _start_new(sdir, version):
    d = os.path.join(sdir, f"kafka{_suffix(version)}")
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    port, sasl_port, controller_port = free_port(), free_port(), free_port()
    _write_config(d, port, sasl_port, controller_port)
    cluster_id = java_tool("kafka.tools.StorageTool", "random-uuid", version=version).stdout.decode().strip()
    java_tool("kafka.tools.StorageTool", "format", "-t", cluster_id, "-c", os.path.join(d, "server.properties"),
              "--add-scram", f"SCRAM-SHA-256=[name={SASL_USER},password={SASL_PASSWORD}]",
              "--add-scram", f"SCRAM-SHA-512=[name={SASL_USER},password={SASL_PASSWORD}]", version=version)
    b = Broker({"port": port, "sasl_port": sasl_port, "controller_port": controller_port, "dir": d, "pid": 0,
                "version": version})
    b.pid = _launch(d, version)
    _save_state(b)
    try:
        b.wait_ready()
    except AssertionError:
        with open(os.path.join(d, "stdout.log"), errors="replace") as f:
            tail = f.read()[-3000:]
        _stop_pid(b.pid)
        raise AssertionError(f"the Kafka broker did not become ready:\n{tail}")
    return b


def _acquire(exclusive, version=KAFKA_VERSION):
    """Lock the session's broker for this process and make sure it runs. Only the
    default version's broker is ever disrupted, so only its use is locked."""
    global _use_lock
    sdir = session_dir()
    if _use_lock is None and version == KAFKA_VERSION:
        _use_lock = open(os.path.join(sdir, "kafka-use.lock"), "a")
        fcntl.flock(_use_lock, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
    with open(os.path.join(sdir, f"kafka-start{_suffix(version)}.lock"), "a") as start_lock:
        fcntl.flock(start_lock, fcntl.LOCK_EX)
        b = None
        if os.path.exists(_state_path(sdir, version)):
            with open(_state_path(sdir, version)) as f:
                b = Broker(json.load(f))
            if not b.alive():
                b = None
            elif not b.ready():
                b.thaw()  # left frozen by a module that died
                try:
                    b.wait_ready(60)
                except AssertionError:
                    _stop_pid(b.pid)
                    b = None
        if b is None:
            b = _start_new(sdir, version)
        return b


def shared_broker(version=KAFKA_VERSION):
    """The session's broker (of that version), for tests that leave it running and unfrozen."""
    return _acquire(False, version)


def exclusive_broker():
    """The session's broker for a module that stops, freezes or restarts it:
    waits until no other module uses it. Leave it running and thawed."""
    return _acquire(True)


def stop_session(sdir):
    """Stop the brokers recorded in the session directory (end of the session)."""
    for name in sorted(os.listdir(sdir)) if os.path.isdir(sdir) else []:
        if not (name.startswith("kafka-broker") and name.endswith(".json")):
            continue
        path = os.path.join(sdir, name)
        with open(path) as f:
            b = Broker(json.load(f))
        _stop_pid(b.pid)
        os.unlink(path)
        shutil.rmtree(b.dir, ignore_errors=True)


TESTCTL = os.path.join(ROOT, os.environ.get("BUILD", "build/default"), "tests", "kafka_testctl")


class Client:
    """Quick set-up steps on the broker: topics, records, group offsets (kafka_testctl,
    librdkafka), consumers (kcat, and Kafka's own console consumer for KIP-848 groups)."""

    def __init__(self, broker):
        if not os.path.exists(TESTCTL):
            raise Skip(f"{TESTCTL} is not built (make unit-bins)")
        self.broker = broker
        self.bootstrap = broker.bootstrap

    def ctl(self, *args, timeout=60):
        r = subprocess.run([TESTCTL, "-b", self.bootstrap, *map(str, args)], capture_output=True, timeout=timeout)
        if r.returncode != 0:
            raise AssertionError(f"kafka_testctl {' '.join(map(str, args))}: {r.stderr.decode()}")

    def create(self, *specs):
        """create(("topic", partitions), ...)"""
        self.ctl("create", *[f"{t}:{n}" for t, n in specs])

    def delete(self, *topics):
        self.ctl("delete", *topics)

    def produce(self, topic, partition, count, ts_ms=None, step_ms=0):
        args = ["produce", topic, partition, count]
        if ts_ms is not None:
            args += [int(ts_ms), int(step_ms)]
        self.ctl(*args)

    def commit(self, group, offsets):
        """commit("g", {("topic", 0): 10, ...})"""
        self.ctl("commit", group, *[f"{t}:{p}:{o}" for (t, p), o in offsets.items()])

    def kcat_consume_all(self, group, topic):
        """A kcat group member that reads the topic to its end, commits and leaves."""
        r = subprocess.run(["kcat", "-b", self.bootstrap, "-G", group, "-X", "auto.offset.reset=earliest",
                            "-e", "-q", topic], capture_output=True, timeout=60)
        if r.returncode != 0:
            raise AssertionError(f"kcat -G {group}: {r.stderr.decode()}")

    def kcat_member(self, group, topic, commit=True):
        """A kcat group member that stays (stop it with .terminate()); with commit=False it
        reads but never commits."""
        if not shutil.which("kcat"):
            raise Skip("kcat is not installed (scripts/install-deps test)")
        args = ["kcat", "-b", self.bootstrap, "-G", group, "-q", "-X", "auto.offset.reset=earliest",
                "-X", "session.timeout.ms=6000", "-X", "heartbeat.interval.ms=500"]
        if not commit:
            args += ["-X", "enable.auto.commit=false"]
        return subprocess.Popen([*args, topic], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def kip848_consumer(self, group, topic):
        """Kafka's console consumer in a group of the new consumer protocol (KIP-848)."""
        libs = resolve_libs()
        return subprocess.Popen([JAVA, "-Xmx96m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
                                 f"-Dlog4j2.configurationFile={_tool_log_config(session_dir())}",
                                 "-cp", os.path.join(libs, "*"), "org.apache.kafka.tools.consumer.ConsoleConsumer",
                                 "--bootstrap-server", self.bootstrap, "--topic", topic, "--group", group,
                                 "--from-beginning", "--consumer-property", "group.protocol=consumer"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def unique(prefix):
    """A topic or group name no other test (or pass of the suite) uses."""
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


if __name__ == "__main__":
    import sys
    if len(sys.argv) == 3 and sys.argv[1] == "stop":
        stop_session(sys.argv[2])
    elif len(sys.argv) == 2 and sys.argv[1] == "resolve":
        print(resolve_libs())
        print(resolve_libs(OLD_VERSION))
    else:
        sys.exit("usage: kafka.py stop SESSION_DIR | resolve (both versions' jars)")
