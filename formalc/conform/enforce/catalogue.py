"""The probe catalogue: per probe kind, the busybox command that performs it and the error
messages that mean "denied" (:data:`CATALOGUE`, :func:`probe_command`), and the classification
of what the container did into an :class:`~.facts.Outcome` (:func:`classify`).

>>> classify(1, "", "mkdir: can't create '/tmp/formalc-dir': Operation not permitted",
...          CATALOGUE["Mkdir"][1])
(<Outcome.DENIED: 'Denied'>, 'Operation not permitted')
"""
from __future__ import annotations

import os
import shlex

from .facts import Outcome, Probe, SpecFacts

__all__ = ["CATALOGUE", "EACCES", "EAGAIN", "ENOENT", "EPERM", "EROFS", "HIDDEN", "OK",
           "PROC_NS", "SIGKILL", "SIGSYS", "WRITES", "classify", "excerpt", "probe_command"]


#: Markers the probe commands print; an exit status alone cannot tell "allowed" from "hidden".
OK, HIDDEN = "FORMALC_OK", "FORMALC_HIDDEN"
EPERM, EACCES, EROFS, ENOENT = ("Operation not permitted", "Permission denied",
                                "Read-only file system", "No such file or directory")
EAGAIN = ("can't fork", "Resource temporarily unavailable")
SIGKILL, SIGSYS = 9, 31

#: Per kind: the busybox command (``{path}``, ``{ns}``, ``{memory}``, ``{tasks}`` and
#: ``{host_ns}`` are filled in) and the error messages that mean "denied". A command prints
#: OK on success, HIDDEN when it sees an empty (masked) or private target. Commands that could
#: reach the host without a namespace are idempotent: they write back what they read.
CATALOGUE: dict[str, tuple[str, tuple[str, ...]]] = {
    "Mkdir": ("mkdir /tmp/formalc-dir", (EPERM,)),
    "Chown": ("touch /tmp/formalc-file && chown 65534 /tmp/formalc-file", (EPERM,)),
    "Chmod": ("touch /tmp/formalc-file && chmod 600 /tmp/formalc-file", (EPERM,)),
    "Mknod": ("mknod /tmp/formalc-null c 1 3", (EPERM,)),
    "Symlink": ("ln -s formalc-target /tmp/formalc-link", (EPERM,)),
    "Unlink": ("touch /tmp/formalc-file && rm /tmp/formalc-file", (EPERM,)),
    "Mount": ("mount -t tmpfs formalc /root", ("permission denied (are you root?)", EPERM)),
    "Unshare": ("unshare -u true", (EPERM,)),
    "Setns": ("nsenter --uts=/proc/$$/ns/uts true", (EPERM,)),
    "Sethostname": ('hostname "$(hostname)"', (EPERM,)),
    "Chroot": ("chroot / true", (EPERM,)),
    "Personality": ("linux32 true", (EPERM,)),
    "Kill": ("kill -0 $$", (EPERM,)),
    "Renice": ("renice -n -5 -p $$", (EACCES, EPERM)),
    "NetAdmin": ("m=$(cat /sys/class/net/lo/mtu) && ip link set lo mtu $m", (EPERM,)),
    "DacWrite": (("echo x > /tmp/formalc-file && chmod 0 /tmp/formalc-file && "
                  "echo y >> /tmp/formalc-file"), (EACCES, EPERM)),
    # a path that is not there is an error (unclassified), never a "hidden" masked path
    "Read": (('if [ ! -e {path} ]; then echo "no such path {path}" >&2; exit 2; fi; '
              'if [ -d {path} ]; then n=$(ls -A {path} | wc -l); '
              'else n=$(head -c 4096 {path} | wc -c); fi; '
              f'if [ "$n" -gt 0 ]; then echo {OK}; else echo {HIDDEN}; fi; exit 0'),
             (EACCES, EPERM)),
    "Write": ("{write}", (EROFS, ENOENT, EACCES, EPERM)),
    "Alloc": ("dd if=/dev/zero of=/dev/null bs={memory} count=1 2>/dev/null", ()),
    "Spawn": ("i=0; while [ $i -lt {tasks} ]; do sleep 5 & i=$((i+1)); done", EAGAIN),
    "SharesHost": ((f'if [ "$(readlink /proc/self/ns/{{ns}})" = "{{host_ns}}" ]; '
                    f'then echo {OK}; else echo {HIDDEN}; fi; exit 0'), ()),
}

#: Write probes by target: each writes back what is there, so it changes nothing it can reach.
WRITES = {"/etc": "touch /etc/.formalc-probe",
          "/proc/sys": "h=$(cat /proc/sys/kernel/hostname) && echo $h > /proc/sys/kernel/hostname"}

#: OCI namespace type → the name of its link under /proc/self/ns.
PROC_NS = {"pid": "pid", "network": "net", "mount": "mnt", "ipc": "ipc", "uts": "uts",
           "user": "user", "cgroup": "cgroup"}


def probe_command(probe: Probe, facts: SpecFacts) -> tuple[str, tuple[str, ...]]:
    """The shell command of ``probe`` and the messages that classify it as denied."""
    if probe.kind not in CATALOGUE:
        raise KeyError(f"no command for probe kind `{probe.kind}`; the catalogue has "
                       f"{', '.join(CATALOGUE)}")
    template, denials = CATALOGUE[probe.kind]
    path = facts.path_of.get(probe.path or "", "")
    if probe.kind == "Write":
        if path not in WRITES:
            raise KeyError(f"no write command for {path!r}; writable targets: "
                           f"{', '.join(WRITES)}")
        template = WRITES[path]
    ns = PROC_NS.get(facts.oci_ns.get(probe.ns or "", ""), "")
    host_ns = os.readlink(f"/proc/self/ns/{ns}") if ns else ""
    cmd = template.format(path=shlex.quote(path), ns=ns, host_ns=host_ns,
                          memory=probe.memory or 0, tasks=probe.tasks or 0)
    if OK not in cmd:
        cmd = f"{cmd} && echo {OK}"
    return cmd, denials


# ------------------------------------------------------------------------------ classification
def classify(exit_code: int, stdout: str, stderr: str, denials: tuple[str, ...]
             ) -> tuple[Outcome, str]:
    """The outcome of a probe from its exit status and output (see docs/enforcement.md).

    Killed: exit 128+SIGSYS (a seccomp kill rule) or 128+SIGKILL (the OOM killer). Allowed:
    exit 0 and the OK marker. Denied: the HIDDEN marker, or one of the probe's ``denials`` in
    its error output. Anything else — including the runtime refusing the config — is
    UNCLASSIFIED, never a guess.
    """
    if "runc run failed" in stderr or "level=error" in stderr:
        return Outcome.UNCLASSIFIED, "the runtime failed: " + excerpt(stderr)
    if exit_code == 128 + SIGSYS:
        return Outcome.KILLED, "SIGSYS (seccomp kill rule)"
    if exit_code == 128 + SIGKILL:
        return Outcome.KILLED, "SIGKILL (OOM killer)"
    if exit_code == 0 and OK in stdout:
        return Outcome.ALLOWED, "exit 0"
    if HIDDEN in stdout:
        return Outcome.DENIED, "target hidden (empty or private)"
    for msg in denials:
        if msg in stderr:
            return Outcome.DENIED, msg
    return Outcome.UNCLASSIFIED, f"exit {exit_code}: {excerpt(stderr) or '(no error output)'}"


def excerpt(text: str, limit: int = 200) -> str:
    """The non-blank lines of ``text`` joined by `` | ``, cut to ``limit`` characters."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    s = " | ".join(lines)
    return s if len(s) <= limit else s[:limit - 1] + "…"
