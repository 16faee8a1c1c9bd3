"""A real OCI runtime (``runc``, ``crun``) driven through its command line, and the bundles it
runs: a busybox root filesystem and a ``config.json``.

Everything a :class:`Runtime` makes lives under one private state root (``--root``), so it can
never touch containers it did not create, and :meth:`Runtime.cleanup` removes every container
it made, even after a failed test. The time spent inside runtime calls is summed in
:attr:`Runtime.seconds`, so the conformance engine can report its own overhead apart from the
runtime's.

Facts this module relies on (runc 1.1 on Debian 12, as root):

- ``runc create`` keeps the container's stdio: its standard output must not be a pipe that we
  read to the end, or the call never returns. Standard output goes to ``/dev/null`` and
  standard error to a file, which is read back for the refusal's detail.
- ``runc state ID`` prints JSON with a ``status`` of created, running, paused or stopped, and
  fails with "does not exist" for a container that is not there.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

#: Busybox applets linked into every bundle's ``/bin`` (the workloads and probes use them).
APPLETS = ("sh", "sleep", "true", "false", "cat", "echo", "mkdir", "chown", "mount", "unshare",
           "head", "tail", "ls", "id", "kill", "rm", "touch", "nsenter", "stat", "grep", "tr",
           "dd", "env", "sync", "yes", "wc", "setpriv", "ps", "hostname", "mknod", "chmod",
           "chroot", "nice", "renice", "ip", "ln", "test", "[")

#: Places a statically linked busybox is commonly installed (``busybox-static`` on Debian).
BUSYBOX_CANDIDATES = ("/bin/busybox", "/usr/bin/busybox", "/usr/local/bin/busybox")

#: Seconds one runtime call may take before it is treated as hung.
CALL_TIMEOUT = 30.0


class RuntimeUnavailable(Exception):
    """The runtime cannot be used on this machine; ``str(e)`` says why, for a skip message."""


@dataclass(frozen=True)
class Call:
    """The result of one runtime command."""
    argv: tuple[str, ...]
    returncode: int
    stderr: str
    seconds: float

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    @property
    def timed_out(self) -> bool:
        return self.returncode == -signal.SIGKILL and "no answer after" in self.stderr

    @property
    def detail(self) -> str:
        """The runtime's own words for a failure: its last non-empty stderr line, without the
        JSON wrapping runc puts around log lines."""
        lines = [ln.strip() for ln in self.stderr.splitlines() if ln.strip()]
        if not lines:
            return f"exit status {self.returncode}"
        last = lines[-1]
        if last.startswith("{"):
            try:
                return str(json.loads(last).get("msg", last))
            except ValueError:
                pass
        for prefix in ("time=", "level="):
            if prefix in last and 'msg="' in last:
                return last.split('msg="', 1)[1].rsplit('"', 1)[0]
        return last


# ------------------------------------------------------------------------------ discovery
def _is_static_elf(path: str) -> bool:
    """Whether ``path`` is an ELF executable without a program interpreter (statically linked),
    so it runs in an otherwise empty root filesystem."""
    try:
        with open(path, "rb") as f:
            head = f.read(64)
            if head[:4] != b"\x7fELF" or head[4] != 2:  # 64-bit only
                return False
            little = head[5] == 1
            order = "little" if little else "big"
            phoff = int.from_bytes(head[32:40], order)
            phentsize = int.from_bytes(head[54:56], order)
            phnum = int.from_bytes(head[56:58], order)
            f.seek(phoff)
            table = f.read(phentsize * phnum)
    except OSError:
        return False
    for i in range(phnum):
        p_type = int.from_bytes(table[i * phentsize:i * phentsize + 4], order)
        if p_type == 3:  # PT_INTERP
            return False
    return True


def find_busybox() -> str:
    """The path of a statically linked busybox, or :class:`RuntimeUnavailable`."""
    found = [p for p in BUSYBOX_CANDIDATES if os.path.exists(p)]
    for p in found:
        if _is_static_elf(os.path.realpath(p)):
            return p
    if found:
        raise RuntimeUnavailable(f"busybox at {found[0]} is dynamically linked; the bundles need a "
                                 "static one (apt-get install busybox-static)")
    raise RuntimeUnavailable("no busybox found (apt-get install busybox-static)")


def find_runtime(name: str) -> str:
    """The path of runtime ``name`` (runc or crun) if this process can drive it, else
    :class:`RuntimeUnavailable` with the reason."""
    path = shutil.which(name)
    if path is None:
        raise RuntimeUnavailable(f"`{name}` is not installed (apt-get install {name})")
    if os.geteuid() != 0:
        raise RuntimeUnavailable(f"`{name}` needs root here (this process runs as uid "
                                 f"{os.geteuid()})")
    find_busybox()
    return path


_PROBED: dict[str, str | None] = {}


def probe_runtime(name: str) -> None:
    """Raise :class:`RuntimeUnavailable` unless runtime ``name`` can create, start and delete a
    container on this machine (checked once per process: some runtimes install fine and then
    fail on this kernel's cgroup layout, e.g. crun 1.8 on a hybrid cgroup v1 host)."""
    if name not in _PROBED:
        try:
            find_runtime(name)
            with Runtime(name) as rt:
                b = rt.bundle(["/bin/sleep", "30"])
                c = rt.create("probe", b)
                if not c.ok:
                    raise RuntimeUnavailable(f"`{name} create` fails on this machine: {c.detail}")
                s = rt.start("probe")
                if not s.ok:
                    raise RuntimeUnavailable(f"`{name} start` fails on this machine: {s.detail}")
            _PROBED[name] = None
        except RuntimeUnavailable as e:
            _PROBED[name] = str(e)
    if _PROBED[name] is not None:
        raise RuntimeUnavailable(_PROBED[name])


# ------------------------------------------------------------------------------ bundles
def default_config(args: list[str], *, hostname: str = "formalc") -> dict:
    """A runtime-spec 1.0 ``config.json`` for a root container running ``args``: the defaults
    ``runc spec`` writes (namespaces, masked and read-only paths, the default capability set,
    /proc /dev /sys mounts), without a terminal."""
    caps = ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]
    return {
        "ociVersion": "1.0.2-dev",
        "process": {
            "terminal": False,
            "user": {"uid": 0, "gid": 0},
            "args": list(args),
            "env": ["PATH=/bin", "TERM=xterm"],
            "cwd": "/",
            "capabilities": {k: list(caps) for k in
                             ("bounding", "effective", "permitted", "ambient")},
            "rlimits": [{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024}],
            "noNewPrivileges": True,
        },
        "root": {"path": "rootfs", "readonly": False},
        "hostname": hostname,
        "mounts": [
            {"destination": "/proc", "type": "proc", "source": "proc"},
            {"destination": "/dev", "type": "tmpfs", "source": "tmpfs",
             "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
            {"destination": "/dev/pts", "type": "devpts", "source": "devpts",
             "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620",
                         "gid=5"]},
            {"destination": "/dev/shm", "type": "tmpfs", "source": "shm",
             "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]},
            {"destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue",
             "options": ["nosuid", "noexec", "nodev"]},
            {"destination": "/sys", "type": "sysfs", "source": "sysfs",
             "options": ["nosuid", "noexec", "nodev", "ro"]},
        ],
        "linux": {
            "resources": {"devices": [{"allow": False, "access": "rwm"}]},
            "namespaces": [{"type": t} for t in ("pid", "network", "ipc", "uts", "mount")],
            "maskedPaths": ["/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys",
                            "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
                            "/proc/sched_debug", "/sys/firmware", "/proc/scsi"],
            "readonlyPaths": ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
                              "/proc/sysrq-trigger"],
        },
    }


def make_rootfs(root: Path) -> None:
    """A minimal root filesystem under ``root``: busybox as /bin/busybox with the applets of
    :data:`APPLETS` linked to it, and the directories runtimes mount on."""
    busybox = find_busybox()
    (root / "bin").mkdir(parents=True, exist_ok=True)
    shutil.copy2(busybox, root / "bin" / "busybox")
    for a in APPLETS:
        link = root / "bin" / a
        if not link.exists():
            link.symlink_to("busybox")
    for d in ("proc", "dev", "sys", "tmp", "etc", "root"):
        (root / d).mkdir(exist_ok=True)
    (root / "tmp").chmod(0o1777)
    (root / "etc" / "passwd").write_text("root:x:0:0:root:/root:/bin/sh\n"
                                         "nobody:x:65534:65534:nobody:/:/bin/false\n")
    (root / "etc" / "group").write_text("root:x:0:\nnogroup:x:65534:\n")


# ------------------------------------------------------------------------------ the runtime
@dataclass
class Runtime:
    """One OCI runtime binary with a private state root and a private work directory.

    Use as a context manager, or call :meth:`cleanup`; either way every container created
    through this object is force-deleted and the directories are removed.
    """
    name: str = "runc"
    timeout: float = CALL_TIMEOUT
    binary: str = ""
    workdir: Path = field(default=None)  # type: ignore[assignment]
    seconds: float = 0.0
    calls: int = 0

    def __post_init__(self):
        self.binary = self.binary or find_runtime(self.name)
        self.workdir = Path(tempfile.mkdtemp(prefix=f"formalc-{self.name}-"))
        self.root = self.workdir / "state"
        self.root.mkdir()
        self._created: list[str] = []
        self._pending: list[subprocess.Popen] = []
        self.last_state_error = ""
        self._bundles = 0
        self._rootfs: Path | None = None

    def __enter__(self) -> Runtime:
        return self

    def __exit__(self, *exc) -> None:
        self.cleanup()

    # ---------------------------------------------------------------- bundles
    def rootfs(self) -> Path:
        """The shared busybox root filesystem (made once per runtime object)."""
        if self._rootfs is None:
            self._rootfs = self.workdir / "rootfs"
            make_rootfs(self._rootfs)
        return self._rootfs

    def bundle(self, args: list[str], config: dict | None = None, *, name: str | None = None
               ) -> Path:
        """A new bundle directory running ``args`` (``config``: a whole ``config.json`` to
        use instead of :func:`default_config`; its ``root.path`` is replaced). The root
        filesystem is shared between bundles unless the config makes it writable and the
        caller needs a private one (pass ``name`` and copy it yourself)."""
        self._bundles += 1
        d = self.workdir / (name or f"bundle{self._bundles}")
        d.mkdir()
        cfg = json.loads(json.dumps(config)) if config is not None else default_config(args)
        cfg.setdefault("root", {})["path"] = str(self.rootfs())
        (d / "config.json").write_text(json.dumps(cfg, indent=1))
        return d

    # ---------------------------------------------------------------- commands
    def run(self, *args: str, stdin=subprocess.DEVNULL, timeout: float | None = None) -> Call:
        """Run ``<runtime> --root ROOT args…``; never raises for a non-zero exit status."""
        argv = (self.binary, "--root", str(self.root), *args)
        with tempfile.TemporaryFile(dir=self.workdir) as err:
            t0 = time.perf_counter()
            try:
                p = subprocess.run(argv, stdin=stdin, stdout=subprocess.DEVNULL, stderr=err,
                                   timeout=timeout or self.timeout)
                rc = p.returncode
            except subprocess.TimeoutExpired:
                rc = -signal.SIGKILL
                err.write(f"{self.name} {args[0]}: no answer after "
                          f"{timeout or self.timeout:g} s".encode())
            dt = time.perf_counter() - t0
            err.seek(0)
            text = err.read().decode("utf-8", "replace")
        self.seconds += dt
        self.calls += 1
        return Call(argv, rc, text, dt)

    def create(self, cid: str, bundle: Path) -> Call:
        c = self.run("create", "--bundle", str(bundle), cid)
        if cid not in self._created:
            self._created.append(cid)
        return c

    def start(self, cid: str) -> Call:
        return self.run("start", cid)

    def pause(self, cid: str) -> Call:
        return self.run("pause", cid)

    def resume(self, cid: str) -> Call:
        return self.run("resume", cid)

    def kill(self, cid: str, sig: str = "KILL", all_: bool = False) -> Call:
        return self.run("kill", *(("--all",) if all_ else ()), cid, sig)

    def delete(self, cid: str, force: bool = False) -> Call:
        return self.run("delete", *(("--force",) if force else ()), cid)

    def delete_later(self, cid: str, max_pending: int = 4) -> None:
        """``delete --force`` in the background (a live container takes ~0.1 s to kill and
        remove); :meth:`cleanup` and later calls wait for it. At most ``max_pending`` run at
        once. The container's ID must not be reused."""
        self._pending = [p for p in self._pending if p.poll() is None]
        while len(self._pending) >= max_pending:
            self._pending.pop(0).wait(timeout=self.timeout)
        argv = (self.binary, "--root", str(self.root), "delete", "--force", cid)
        self._pending.append(subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                                              stdout=subprocess.DEVNULL,
                                              stderr=subprocess.DEVNULL))

    def state(self, cid: str) -> str:
        """The container's status (created, running, paused, stopped), or "absent"."""
        argv = (self.binary, "--root", str(self.root), "state", cid)
        t0 = time.perf_counter()
        try:
            p = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True,
                               timeout=self.timeout)
        except subprocess.TimeoutExpired:
            self.seconds += time.perf_counter() - t0
            self.calls += 1
            self.last_state_error = f"no answer after {self.timeout:g} s"
            return "unknown"
        self.seconds += time.perf_counter() - t0
        self.calls += 1
        if p.returncode != 0:
            err = p.stderr.decode("utf-8", "replace")
            if "does not exist" in err or "not found" in err:
                return "absent"
            self.last_state_error = err.strip().splitlines()[-1] if err.strip() else \
                f"exit status {p.returncode}"
            return "unknown"
        try:
            return str(json.loads(p.stdout)["status"])
        except (ValueError, KeyError, TypeError):
            return "unknown"

    def exec_run(self, cid: str, args: list[str], timeout: float | None = None
                 ) -> subprocess.CompletedProcess:
        """Run a process in a running container and capture its output (``runc exec``)."""
        argv = (self.binary, "--root", str(self.root), "exec", cid, *args)
        t0 = time.perf_counter()
        p = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True,
                           timeout=timeout or self.timeout)
        self.seconds += time.perf_counter() - t0
        self.calls += 1
        return p

    def run_once(self, cid: str, bundle: Path, timeout: float | None = None
                 ) -> subprocess.CompletedProcess:
        """``runc run`` a container to completion in the foreground, capturing its output and
        exit status (128 + n when signal n killed it); the container is deleted afterwards."""
        argv = (self.binary, "--root", str(self.root), "run", "--bundle", str(bundle), cid)
        if cid not in self._created:
            self._created.append(cid)
        t0 = time.perf_counter()
        try:
            p = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True,
                               timeout=timeout or self.timeout)
        except subprocess.TimeoutExpired as e:
            self.delete(cid, force=True)
            p = subprocess.CompletedProcess(argv, -signal.SIGKILL, e.stdout or b"",
                                            (e.stderr or b"") + b"\ntimed out")
        self.seconds += time.perf_counter() - t0
        self.calls += 1
        if self.state(cid) != "absent":
            self.delete(cid, force=True)
        return p

    # ---------------------------------------------------------------- cleanup
    def cleanup(self) -> None:
        """Force-delete every container this object created and remove its directories."""
        for p in self._pending:
            try:
                p.wait(timeout=self.timeout)
            except subprocess.TimeoutExpired:
                p.kill()
        self._pending.clear()
        for cid in self._created:
            try:
                if self.state(cid) != "absent":
                    self.delete(cid, force=True)
            except OSError:
                pass
        self._created.clear()
        shutil.rmtree(self.workdir, ignore_errors=True)
