"""A private D-Bus for tests of the systemd and logind collectors.

As a module (stdlib only): PrivateBus starts dbus-daemon on a socket in a
temporary directory with a configuration of its own (the system bus' limit
of 128 pending replies per connection kept), and start_service() runs this
file as a service on it.

As a program (run by a Python that has python3-dbus and GObject, Debian's
/usr/bin/python3): a service that owns org.freedesktop.systemd1 and
org.freedesktop.login1 and answers as systemd's and logind's manager
interfaces do -- Manager.ListUnits, ListSeats, ListSessions and
org.freedesktop.DBus.Properties.Get on the manager, unit and session
objects -- from a JSON description of the host given as its argument:

    {"manager": {"Version": "252.39-1~deb12u1", "Virtualization": "kvm",
                 "SystemState": "running"},
     "units": [{"name": "ssh.service", "load": "loaded", "active": "active",
                "sub": "running",
                "props": {"org.freedesktop.systemd1.Service":
                          {"Type": ["s", "notify"], "NRestarts": ["u", 2]}}}],
     "seats": ["seat0"],
     "sessions": [{"id": "3", "uid": 1000, "user": "ann", "seat": "seat0",
                   "props": {"Remote": ["b", false], "Type": ["s", "x11"],
                             "Class": ["s", "user"]}}],
     "hang": ["ListUnits"]}

Property values are [D-Bus type, value]. A method or property named in
"hang" is never answered (a hung service); "hang_all" makes every call
hang. Every call is counted; the service prints "ready" once it owns its
names.
"""

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SYSTEM_PYTHON = "/usr/bin/python3"

CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <listen>unix:path={socket}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_type="method_call"/>
    <allow send_type="method_return"/>
    <allow send_type="error"/>
    <allow send_type="signal"/>
    <allow receive_type="method_call"/>
    <allow receive_type="method_return"/>
    <allow receive_type="error"/>
    <allow receive_type="signal"/>
  </policy>
  <limit name="max_replies_per_connection">128</limit>
</busconfig>
"""


def have_dbus_python():
    """True if the system Python can run the service (python3-dbus and GObject)."""
    if not os.path.exists(SYSTEM_PYTHON) or not shutil.which("dbus-daemon"):
        return False
    r = subprocess.run([SYSTEM_PYTHON, "-c", "import dbus, dbus.service, dbus.mainloop.glib; "
                        "from gi.repository import GLib"], capture_output=True)
    return r.returncode == 0


class PrivateBus:
    """dbus-daemon on its own socket; address is what DBUS_SYSTEM_BUS_ADDRESS takes."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="fakebus-")
        self.socket = os.path.join(self.dir, "bus")
        conf = os.path.join(self.dir, "bus.conf")
        with open(conf, "w") as f:
            f.write(CONFIG.format(socket=self.socket))
        self.address = f"unix:path={self.socket}"
        self.conf = conf
        self.log = open(os.path.join(self.dir, "daemon.log"), "wb")
        self.services = []
        self._start_daemon()

    def _start_daemon(self):
        self.proc = subprocess.Popen(["dbus-daemon", f"--config-file={self.conf}", "--nofork", "--nopidfile"],
                                     stdout=self.log, stderr=self.log)
        deadline = time.monotonic() + 10
        while not os.path.exists(self.socket):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"dbus-daemon did not start: {self.daemon_log()}")
            time.sleep(0.02)

    def stop_daemon(self):
        """The bus goes away (its services lose it too); start_daemon() brings it back at the same address."""
        self.stop_services()
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(5)
        if os.path.exists(self.socket):
            os.unlink(self.socket)

    def start_daemon(self):
        self._start_daemon()

    def daemon_log(self):
        self.log.flush()
        with open(self.log.name, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def start_service(self, host):
        """Run the fake systemd/logind service for host (a dict, see above); returns its process."""
        path = os.path.join(self.dir, f"host{len(self.services)}.json")
        with open(path, "w") as f:
            json.dump(host, f)
        env = dict(os.environ, DBUS_SYSTEM_BUS_ADDRESS=self.address)
        p = subprocess.Popen([SYSTEM_PYTHON, os.path.abspath(__file__), path], env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        line = p.stdout.readline()
        if line.strip() != "ready":
            p.kill()
            raise AssertionError(f"fake service did not start: {line}{p.stdout.read()}")
        self.services.append(p)
        return p

    def stop_services(self):
        for p in self.services:
            if p.poll() is None:
                p.kill()
            p.wait()
            p.stdout.close()
        self.services = []

    def close(self):
        self.stop_services()
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


class SilentSocket:
    """A Unix socket that accepts connections and never says a word (a hung bus)."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="silentbus-")
        self.path = os.path.join(self.dir, "bus")
        self.address = f"unix:path={self.path}"
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(self.path)
        self.sock.listen(16)
        self.conns = []
        self.stopped = False
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        while not self.stopped:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            self.conns.append(c)

    def close(self):
        self.stopped = True
        self.sock.close()
        for c in self.conns:
            c.close()
        shutil.rmtree(self.dir, ignore_errors=True)


# ---- the service (run by the system Python) ----

def serve(host_path):
    import dbus
    import dbus.service
    from dbus.mainloop.glib import DBusGMainLoop
    from gi.repository import GLib

    with open(host_path) as f:
        host = json.load(f)
    hang = set(host.get("hang", []))
    hang_all = host.get("hang_all", False)
    DBusGMainLoop(set_as_default=True)
    bus = dbus.SystemBus()

    types = {"s": dbus.String, "u": dbus.UInt32, "t": dbus.UInt64, "b": dbus.Boolean,
             "i": dbus.Int32, "o": dbus.ObjectPath}

    def value(tv):
        t, v = tv
        return types[t](v, variant_level=1)

    def unknown(what):
        return dbus.exceptions.DBusException(what, name="org.freedesktop.DBus.Error.UnknownProperty")

    def escape(name):
        # systemd's bus path escaping (sd_bus_path_encode)
        out = []
        for i, ch in enumerate(name.encode()):
            c = chr(ch)
            if c.isascii() and (c.isalpha() or (c.isdigit() and i > 0)):
                out.append(c)
            else:
                out.append("_%02x" % ch)
        return "".join(out) or "_"

    units = host.get("units", [])
    unit_by_path = {escape(u["name"]): u for u in units}
    manager = host.get("manager", {})
    sessions = host.get("sessions", [])
    session_by_path = {f"session/{s['id']}": s for s in sessions}

    class Systemd(dbus.service.FallbackObject):
        @dbus.service.method("org.freedesktop.systemd1.Manager", out_signature="a(ssssssouso)",
                             async_callbacks=("ok", "err"))
        def ListUnits(self, ok, err):
            if hang_all or "ListUnits" in hang:
                return
            ok([(u["name"], u.get("description", ""), u.get("load", "loaded"), u.get("active", "active"),
                 u.get("sub", "running"), "", dbus.ObjectPath("/org/freedesktop/systemd1/unit/" + escape(u["name"])),
                 dbus.UInt32(0), "", dbus.ObjectPath("/")) for u in units])

        @dbus.service.method("org.freedesktop.DBus.Properties", in_signature="ss", out_signature="v",
                             rel_path_keyword="rel", async_callbacks=("ok", "err"))
        def Get(self, iface, prop, rel, ok, err):
            if hang_all or prop in hang:
                return
            if rel == "/":
                if iface == "org.freedesktop.systemd1.Manager" and prop in manager:
                    return ok(dbus.String(manager[prop], variant_level=1))
                return err(unknown(prop))
            u = unit_by_path.get(rel[len("/unit/"):]) if rel.startswith("/unit/") else None
            if u is None:
                return err(dbus.exceptions.DBusException(
                    rel, name="org.freedesktop.DBus.Error.UnknownObject"))
            props = u.get("props", {}).get(iface)
            if props is None:
                return err(dbus.exceptions.DBusException(
                    iface, name="org.freedesktop.DBus.Error.UnknownInterface"))
            if prop not in props:
                return err(unknown(prop))
            ok(value(props[prop]))

    class Login(dbus.service.FallbackObject):
        @dbus.service.method("org.freedesktop.login1.Manager", out_signature="a(so)",
                             async_callbacks=("ok", "err"))
        def ListSeats(self, ok, err):
            if hang_all or "ListSeats" in hang:
                return
            ok([(s, dbus.ObjectPath("/org/freedesktop/login1/seat/" + escape(s))) for s in host.get("seats", [])])

        @dbus.service.method("org.freedesktop.login1.Manager", out_signature="a(susso)",
                             async_callbacks=("ok", "err"))
        def ListSessions(self, ok, err):
            if hang_all or "ListSessions" in hang:
                return
            ok([(s["id"], dbus.UInt32(s.get("uid", 0)), s.get("user", ""), s.get("seat", ""),
                 dbus.ObjectPath("/org/freedesktop/login1/session/" + s["id"])) for s in sessions])

        @dbus.service.method("org.freedesktop.DBus.Properties", in_signature="ss", out_signature="v",
                             rel_path_keyword="rel", async_callbacks=("ok", "err"))
        def Get(self, iface, prop, rel, ok, err):
            if hang_all or prop in hang:
                return
            s = session_by_path.get(rel.lstrip("/"))
            if s is None or iface != "org.freedesktop.login1.Session" or prop not in s.get("props", {}):
                return err(unknown(prop))
            ok(value(s["props"][prop]))

    names = [dbus.service.BusName("org.freedesktop.systemd1", bus),
             dbus.service.BusName("org.freedesktop.login1", bus)]
    objects = [Systemd(bus, "/org/freedesktop/systemd1"), Login(bus, "/org/freedesktop/login1")]
    print("ready", flush=True)
    GLib.MainLoop().run()
    return names, objects


if __name__ == "__main__":
    serve(sys.argv[1])
