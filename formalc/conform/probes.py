"""Security enforcement, observed: a spec's policy compiled to an OCI ``config.json``, probes run
in real ``runc`` containers, and each observed outcome compared with the verdict Z3 proves from
the spec.

The spec (``specs/enforcement.iot`` is the reference) declares a ``Policy`` record, probes
(``Probe``), the outcomes ``Allowed``/``Denied``/``Killed`` and a definition
``Verdict(p: Policy, q: Probe)``. For one policy this module

1. reads the policy's value from the typed model and compiles it (:func:`compile_policy`):
   seccomp rules, capability sets, namespaces, masked and read-only paths, memory and pids
   limits, on top of :func:`formalc.conform.bundle.default_config`;
2. asks Z3, through ``formalc.check``, which outcome the spec forces for a probe
   (:class:`VerdictOracle`): it proves ``Verdict(P, q) = v`` for exactly one ``v``, or answers
   ``unknown`` with the reason;
3. runs the probe's busybox command in a fresh container (:class:`ProbeRunner`) and classifies
   what happened by its exit status, its output and the error message busybox printed;
4. reports every disagreement as a finding with the probe, both verdicts, the command, the
   ``config.json`` and a Python transcript that replays it (:class:`EnforcementReport`).

>>> report = check_enforcement("specs/enforcement.iot", "strict", examples=20, seed=1)  # doctest: +SKIP
>>> report.ok, len(report.results), report.findings                                    # doctest: +SKIP
(True, 20, [])
"""
from __future__ import annotations

import json
import os
import platform
import shlex
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from fractions import Fraction
from pathlib import Path

from .bundle import Runtime, RuntimeUnavailable, default_config, probe_runtime

__all__ = [
    "EnforcementReport",
    "Finding",
    "Observation",
    "Outcome",
    "Policy",
    "PolicyError",
    "Probe",
    "ProbeResult",
    "ProbeRunner",
    "RuntimeUnavailable",
    "SpecFacts",
    "SpecShapeError",
    "VerdictOracle",
    "all_probes",
    "check_enforcement",
    "classify",
    "compile_policy",
    "grantable_caps",
    "oci_cap",
    "policy_strategy",
    "probe_command",
    "probe_config",
    "probe_strategy",
]


class Outcome(str, Enum):
    """What happened to a probe (or must happen): the spec's ``Outcome`` members, and two
    non-answers: ``UNKNOWN`` (Z3 could not force one verdict) and ``UNCLASSIFIED`` (what the
    container did matches no rule of the probe's classification)."""
    ALLOWED = "Allowed"
    DENIED = "Denied"
    KILLED = "Killed"
    UNKNOWN = "unknown"
    UNCLASSIFIED = "unclassified"

    @property
    def definite(self) -> bool:
        return self in (Outcome.ALLOWED, Outcome.DENIED, Outcome.KILLED)


# ------------------------------------------------------------------------------ spec values
class SpecShapeError(ValueError):
    """The spec lacks a declaration this module reads; the message names it and the fix."""


#: What this module reads from a spec, with the form each must have.
REQUIRED = {
    "types": {"Syscall": "an enumeration of seccomp operations",
              "Cap": "an enumeration of capabilities (SYS_ADMIN or CAP_SYS_ADMIN)",
              "Path": "an enumeration of paths", "NamespaceKind": "an enumeration",
              "ProbeKind": "an enumeration of probe kinds",
              "Outcome": "the enumeration {Allowed, Denied, Killed}",
              "Policy": "a record (errno, kill, caps, namespaces, masked, readonly, memory, pids)",
              "Probe": "a record (kind, path, ns, memory, tasks)"},
    "functions": {"Kernel": "Syscall → set String", "PathOf": "Path → String",
                  "OciNamespace": "NamespaceKind → String", "Uses": "ProbeKind → set Syscall"},
    "definitions": {"Verdict": "Verdict(p: Policy, q: Probe) := …",
                    "ReadPaths": "a set of Path", "WritePaths": "a set of Path",
                    "AllocSizes": "a set of Bytes"},
}


@dataclass(frozen=True)
class Policy:
    """A policy as plain values: sets of enumeration member names, ``memory`` in bytes."""
    name: str
    errno: frozenset[str]
    kill: frozenset[str]
    caps: frozenset[str]
    namespaces: frozenset[str]
    masked: frozenset[str]
    readonly: frozenset[str]
    memory: int
    pids: int

    def spec_text(self) -> str:
        """The policy as a value of the spec's ``Policy`` record."""
        def s(xs):
            return "{" + ", ".join(sorted(xs)) + "}"
        return (f"Policy(name: {json.dumps(self.name)}, errno: {s(self.errno)}, "
                f"kill: {s(self.kill)}, caps: {s(self.caps)}, namespaces: {s(self.namespaces)}, "
                f"masked: {s(self.masked)}, readonly: {s(self.readonly)}, "
                f"memory: {_bytes_text(self.memory)}, pids: {self.pids})")


@dataclass(frozen=True)
class SpecFacts:
    """The declarations of an enforcement spec that compiling and probing need, evaluated once.

    ``kernel``: operation → kernel system-call names; ``path_of``: Path member → container
    path; ``oci_ns``: NamespaceKind member → OCI namespace type; ``uses``: probe kind → the
    operations it performs; the enumerations' members in declaration order; the probe domains.
    """
    file: Path
    spec: object = field(repr=False, compare=False)
    syscalls: tuple[str, ...]
    caps: tuple[str, ...]
    paths: tuple[str, ...]
    namespaces: tuple[str, ...]
    kinds: tuple[str, ...]
    outcomes: tuple[str, ...]
    kernel: dict
    path_of: dict
    oci_ns: dict
    uses: dict
    read_paths: tuple[str, ...]
    write_paths: tuple[str, ...]
    alloc_sizes: tuple[int, ...]

    @classmethod
    def of(cls, spec) -> SpecFacts:
        """Read ``spec`` (a path, or a ``formalc.Spec`` loaded from a file)."""
        import formalc

        from ..machines.evaluate import compile_expr
        if isinstance(spec, (str, os.PathLike)):
            file = Path(spec).resolve()
            spec = formalc.load(file)
        else:
            file = Path(spec.file).resolve()
            if not file.is_file():
                raise SpecShapeError(f"the spec was not loaded from a file ({spec.file}); the "
                                     "verdict oracle imports it by path: use formalc.load(path)")
        for kind, names in REQUIRED.items():
            table = getattr(spec, kind)
            for name, form in names.items():
                if name not in table:
                    raise SpecShapeError(f"{file.name} declares no `{name}`; declare it as "
                                         f"{form} (see specs/enforcement.iot)")

        def members(t: str) -> tuple[str, ...]:
            return tuple(spec.types[t].type.members)

        def table(f: str) -> dict:
            return {args[0]: _plain(compile_expr(e, spec)({}))
                    for args, e in spec.functions[f].table}

        def value(d: str):
            return _plain(compile_expr(spec.definitions[d].body, spec)({}))

        outcomes = members("Outcome")
        if set(outcomes) != {o.value for o in Outcome if o.definite}:
            raise SpecShapeError(f"`Outcome` is {{{', '.join(outcomes)}}}; the probes observe "
                                 "exactly {Allowed, Denied, Killed}")
        return cls(file=file, spec=spec, syscalls=members("Syscall"), caps=members("Cap"),
                   paths=members("Path"), namespaces=members("NamespaceKind"),
                   kinds=members("ProbeKind"), outcomes=outcomes, kernel=table("Kernel"),
                   path_of=table("PathOf"), oci_ns=table("OciNamespace"), uses=table("Uses"),
                   read_paths=tuple(sorted(value("ReadPaths"))),
                   write_paths=tuple(sorted(value("WritePaths"))),
                   alloc_sizes=tuple(sorted(value("AllocSizes"))))

    def policy(self, name: str) -> Policy:
        """The named value ``name`` of the spec, a ``Policy``."""
        from ..machines.evaluate import compile_expr
        d = self.spec.definitions.get(name)
        if d is None or d.params or getattr(d.type, "name", None) != "Policy":
            have = sorted(n for n, x in self.spec.definitions.items()
                          if not x.params and getattr(x.type, "name", None) == "Policy")
            raise SpecShapeError(f"`{name}` is not a Policy value of {self.file.name}; its "
                                 f"policies are {', '.join(have) or 'none'}")
        v = _plain(compile_expr(d.body, self.spec)({}))
        return Policy(name=name, errno=v["errno"], kill=v["kill"], caps=v["caps"],
                      namespaces=v["namespaces"], masked=v["masked"], readonly=v["readonly"],
                      memory=int(v["memory"]), pids=int(v["pids"]))


def _plain(v):
    if isinstance(v, Fraction) and v.denominator == 1:
        return int(v)
    if isinstance(v, frozenset):
        return frozenset(_plain(x) for x in v)
    if isinstance(v, dict):
        return {k: _plain(x) for k, x in v.items()}
    return v


def _bytes_text(n: int) -> str:
    for unit, size in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n and n % size == 0:
            return f"{n // size}{unit}"
    return f"{n}B"


# ------------------------------------------------------------------------------ probes
@dataclass(frozen=True)
class Probe:
    """One probe: its ``kind`` (a ``ProbeKind`` member) and the parameter that kind takes:
    ``path`` (Read, Write), ``ns`` (SharesHost), ``memory`` in bytes (Alloc) or ``tasks``
    (Spawn). ``str(p)`` is the short form used in reports: ``Mkdir``, ``Read(ProcIrq)``,
    ``Alloc(64MiB)``, ``Spawn(16)``, ``SharesHost(NETNS)``."""
    kind: str
    path: str | None = None
    ns: str | None = None
    memory: int | None = None
    tasks: int | None = None

    def __str__(self) -> str:
        arg = (self.path or self.ns or (_bytes_text(self.memory) if self.memory is not None
                                         else None) or self.tasks)
        return self.kind if arg is None else f"{self.kind}({arg})"

    def __repr__(self) -> str:
        extra = "".join(f", {k}={v!r}" for k in ("path", "ns", "memory", "tasks")
                        if (v := getattr(self, k)) is not None)
        return f"Probe({self.kind!r}{extra})"

    def spec_text(self, facts: SpecFacts) -> str:
        """The probe as a value of the spec's ``Probe`` record; fields the kind does not use
        take the first member of their enumeration (or 0): ``Verdict`` ignores them."""
        return (f"Probe(kind: {self.kind}, path: {self.path or facts.paths[0]}, "
                f"ns: {self.ns or facts.namespaces[0]}, memory: {_bytes_text(self.memory or 0)}, "
                f"tasks: {self.tasks or 0})")


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
    "Read": (('if [ -d {path} ]; then n=$(ls -A {path} | wc -l); '
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


# ------------------------------------------------------------------------------ the compiler
class PolicyError(ValueError):
    """A policy this runtime cannot run as stated (the message says which field and why)."""


def _seccomp_arches() -> list[str]:
    return {"x86_64": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
            "aarch64": ["SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"]}.get(platform.machine(), [])


def oci_cap(member: str) -> str:
    """A capability's OCI name: specs name them as capabilities(7) does without the prefix
    (threats.iot's ``Cap``: ``SYS_ADMIN``), config.json with it (``CAP_SYS_ADMIN``)."""
    return member if member.startswith("CAP_") else "CAP_" + member


#: Linux's capabilities by number (include/uapi/linux/capability.h), to read /proc masks.
CAPABILITY_NUMBERS = ["CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID", "KILL", "SETGID", "SETUID", "SETPCAP", "LINUX_IMMUTABLE", "NET_BIND_SERVICE", "NET_BROADCAST", "NET_ADMIN", "NET_RAW", "IPC_LOCK", "IPC_OWNER", "SYS_MODULE", "SYS_RAWIO", "SYS_CHROOT", "SYS_PTRACE", "SYS_PACCT", "SYS_ADMIN", "SYS_BOOT", "SYS_NICE", "SYS_RESOURCE", "SYS_TIME", "SYS_TTY_CONFIG", "MKNOD", "LEASE", "AUDIT_WRITE", "AUDIT_CONTROL", "SETFCAP", "MAC_OVERRIDE", "MAC_ADMIN", "SYSLOG", "WAKE_ALARM", "BLOCK_SUSPEND", "AUDIT_READ", "PERFMON", "BPF", "CHECKPOINT_RESTORE"]


def grantable_caps() -> frozenset[str] | None:
    """The OCI names of the capabilities this process can hand a container (its bounding
    set), or None when /proc does not say. runc refuses to start a container asked for more
    ("unable to apply caps: operation not permitted"), e.g. inside a sandbox that dropped
    CAP_SYS_RESOURCE."""
    try:
        with open("/proc/self/status") as f:
            line = next(ln for ln in f if ln.startswith("CapBnd:"))
    except (OSError, StopIteration):
        return None
    mask = int(line.split()[1], 16)
    return frozenset("CAP_" + n for i, n in enumerate(CAPABILITY_NUMBERS) if mask >> i & 1)


def compile_policy(policy: Policy, facts: SpecFacts, args: list[str], *,
                   grantable: frozenset[str] | None = None) -> dict:
    """The OCI ``config.json`` (a dict) that enforces ``policy`` on a process running ``args``.

    Seccomp: default allow; the kernel calls of ``errno`` operations fail with EPERM
    (``SCMP_ACT_ERRNO``, errnoRet 1), those of ``kill`` operations kill the process
    (``SCMP_ACT_KILL_PROCESS``; a call in both is killed, as ``Verdict`` says). Capabilities:
    the bounding, effective and permitted sets are ``caps`` under their OCI names
    (:func:`oci_cap`; root's capabilities after exec are its bounding set); those outside
    ``grantable`` (when given: :func:`grantable_caps`) are left out, since runc could not
    start the container with them — :func:`check_enforcement` reports them. A tmpfs on /tmp
    gives the probes a private scratch directory.
    """
    ns = sorted(facts.oci_ns[n] for n in policy.namespaces)
    if "user" in ns:
        raise PolicyError(f"policy `{policy.name}` asks for a user namespace; it needs uid/gid "
                          "mappings and changes what capabilities mean, which `Verdict` does "
                          "not model: drop USERNS")
    if "mount" not in ns:
        raise PolicyError(f"policy `{policy.name}` has no mount namespace; runc cannot mask "
                          "paths without one: add MNTNS")
    cfg = default_config(args)
    caps = sorted(c for c in map(oci_cap, policy.caps) if grantable is None or c in grantable)
    cfg["process"]["capabilities"] = {"bounding": caps, "effective": caps, "permitted": caps}
    linux = cfg["linux"]
    linux["namespaces"] = [{"type": t} for t in ns]
    if "uts" not in ns:
        cfg.pop("hostname", None)  # runc refuses a hostname without a UTS namespace
    linux["maskedPaths"] = sorted(facts.path_of[p] for p in policy.masked)
    linux["readonlyPaths"] = sorted(facts.path_of[p] for p in policy.readonly)
    res = linux.setdefault("resources", {})
    res["memory"] = {"limit": policy.memory, "swap": policy.memory}  # swap = limit: no swap
    res["pids"] = {"limit": policy.pids}
    killed = sorted({k for s in policy.kill for k in facts.kernel[s]})
    refused = sorted({k for s in policy.errno for k in facts.kernel[s]} - set(killed))
    rules = []
    if refused:
        rules.append({"names": refused, "action": "SCMP_ACT_ERRNO", "errnoRet": 1})
    if killed:
        rules.append({"names": killed, "action": "SCMP_ACT_KILL_PROCESS"})
    if rules:
        linux["seccomp"] = {"defaultAction": "SCMP_ACT_ALLOW",
                            "architectures": _seccomp_arches(), "syscalls": rules}
    cfg["mounts"].append({"destination": "/tmp", "type": "tmpfs", "source": "tmpfs",
                          "options": ["nosuid", "nodev", "mode=1777", "size=16m"]})
    return cfg


# ------------------------------------------------------------------------------ the oracle
@dataclass(frozen=True)
class Expectation:
    """The verdict the spec forces for one probe (or UNKNOWN and why), and the spec text whose
    checks decided it."""
    outcome: Outcome
    reason: str | None
    check_text: str
    seconds: float


class VerdictOracle:
    """Which outcome the spec forces for a probe under one policy, decided by Z3.

    For probe ``q`` it checks ``Verdict(P, q) = v`` for every outcome ``v`` (a spec that imports
    the enforcement spec, checked with ``formalc.check``). Exactly one proved is the answer;
    anything else — no verdict forced, several proved, a check unknown — is UNKNOWN with the
    reason. ``policy_text`` is the policy as a spec expression: a named value (``strict``).
    """
    PREFIX = "formalc_expect_"

    def __init__(self, facts: SpecFacts, policy_text: str, timeout: float = 10.0):
        from ..model.loader import Loader
        self.facts, self.policy_text, self.timeout = facts, policy_text, timeout
        self._loader = Loader()  # keeps the parsed imports: one query costs a few ms
        self._memo: dict[Probe, Expectation] = {}
        self.seconds = 0.0

    def check_text(self, probe: Probe) -> str:
        """A spec, beside the enforcement spec, whose checks decide ``probe``."""
        return self._text([probe], numbered=False)

    def _text(self, probes: list[Probe], numbered: bool = True) -> str:
        lines = [f'import "{self.facts.file.name}"']
        for i, probe in enumerate(probes):
            q = probe.spec_text(self.facts)
            tag = f"{i}_" if numbered else ""
            lines += [f"check {self.PREFIX}{tag}{v}: Verdict({self.policy_text}, {q}) = {v}"
                      for v in self.facts.outcomes]
        return "\n".join(lines) + "\n"

    def expected(self, probe: Probe) -> Expectation:
        """The verdict the spec forces for ``probe`` (decided once, then remembered)."""
        if probe not in self._memo:
            self.prefetch([probe])
        return self._memo[probe]

    def prefetch(self, probes) -> None:
        """Decide every probe of ``probes`` not decided yet, in one spec and one
        ``formalc.check`` run (about twice as fast per probe as one at a time)."""
        import formalc

        from ..model.compile import compile_text
        todo = list(dict.fromkeys(p for p in probes if p not in self._memo))
        if not todo:
            return
        t0 = time.perf_counter()
        diags, spec = compile_text(self._text(todo), "<expected verdicts>", self._loader,
                                   self.facts.file.parent)
        results: dict[str, object] = {}
        failure = None
        if spec is None:
            failure = "the query does not compile: " + "; ".join(
                d.message for d in diags if d.is_error)
        else:
            report = formalc.check(spec, timeout=self.timeout, select=[self.PREFIX])
            results = {r.check[len(self.PREFIX):]: r for r in report.results}
        dt = time.perf_counter() - t0
        self.seconds += dt
        for i, probe in enumerate(todo):
            outcome, reason = (Outcome.UNKNOWN, failure) if failure else self._verdict(
                {v: results.get(f"{i}_{v}") for v in self.facts.outcomes})
            self._memo[probe] = Expectation(outcome, reason, self.check_text(probe),
                                            dt / len(todo))

    @staticmethod
    def _verdict(by_outcome: dict) -> tuple[Outcome, str | None]:
        missing = [v for v, r in by_outcome.items() if r is None]
        if missing:
            return Outcome.UNKNOWN, f"no result for {', '.join(missing)}"
        proved = [v for v, r in by_outcome.items() if r.verdict.value == "proved"]
        unknown = [f"{v}: {r.reason}" for v, r in by_outcome.items()
                   if r.verdict.value == "unknown"]
        if unknown:
            return Outcome.UNKNOWN, "Z3 could not decide " + "; ".join(unknown)
        if len(proved) == 1:
            return Outcome(proved[0]), None
        if not proved:
            return Outcome.UNKNOWN, ("the spec forces no verdict (each one is possible): is a "
                                     "table of `Verdict` partial?")
        return Outcome.UNKNOWN, (f"several verdicts are proved ({', '.join(proved)}): the "
                                 "spec's assumptions contradict each other")


# ------------------------------------------------------------------------------ the runner
@dataclass(frozen=True)
class Observation:
    """What one probe did in its container: the classified outcome, why it was classified so,
    and the raw facts (exit status as ``runc run`` returns it, 128 + n for signal n)."""
    outcome: Outcome
    detail: str
    exit_code: int
    stdout: str
    stderr: str
    command: str
    seconds: float
    config: dict = field(default_factory=dict, compare=False, repr=False)


def classify(exit_code: int, stdout: str, stderr: str, denials: tuple[str, ...]
             ) -> tuple[Outcome, str]:
    """The outcome of a probe from its exit status and output (see docs/enforcement.md).

    Killed: exit 128+SIGSYS (a seccomp kill rule) or 128+SIGKILL (the OOM killer). Allowed:
    exit 0 and the OK marker. Denied: the HIDDEN marker, or one of the probe's ``denials`` in
    its error output. Anything else — including the runtime refusing the config — is
    UNCLASSIFIED, never a guess.
    """
    if "runc run failed" in stderr or "level=error" in stderr:
        return Outcome.UNCLASSIFIED, "the runtime failed: " + _excerpt(stderr)
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
    return Outcome.UNCLASSIFIED, f"exit {exit_code}: {_excerpt(stderr) or '(no error output)'}"


def _excerpt(text: str, limit: int = 200) -> str:
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    s = " | ".join(lines)
    return s if len(s) <= limit else s[:limit - 1] + "…"


def probe_config(policy: Policy, facts: SpecFacts, probe: Probe,
                 transform: Callable[[dict], dict | None] | None = None, *,
                 grantable: frozenset[str] | None = None) -> tuple[dict, tuple[str, ...]]:
    """The config.json ``probe`` runs with under ``policy`` (``transform`` applied last), and
    the messages that classify it as denied."""
    cmd, denials = probe_command(probe, facts)
    cfg = compile_policy(policy, facts, ["/bin/sh", "-c", cmd], grantable=grantable)
    if transform is not None:
        cfg = transform(cfg) or cfg
    return cfg, denials


class ProbeRunner:
    """Runs probes under one policy, each in a fresh container of runtime ``rt``.

    ``transform`` (optional) is applied to every compiled config before it runs: a hook to
    inject a compiler fault, or to try another compiler's output, in tests.
    """

    def __init__(self, rt: Runtime, facts: SpecFacts, policy: Policy,
                 transform: Callable[[dict], dict | None] | None = None,
                 timeout: float = 20.0):
        self.rt, self.facts, self.policy = rt, facts, policy
        self.transform, self.timeout = transform, timeout
        self.grantable = grantable_caps()
        self.count = 0

    def run(self, probe: Probe) -> Observation:
        cfg, denials = probe_config(self.policy, self.facts, probe, self.transform,
                                    grantable=self.grantable)
        self.count += 1
        bundle = self.rt.bundle(cfg["process"]["args"], cfg)
        t0 = time.perf_counter()
        p = self.rt.run_once(f"formalc-probe-{self.count}", bundle, timeout=self.timeout)
        dt = time.perf_counter() - t0
        out = p.stdout.decode("utf-8", "replace")
        err = p.stderr.decode("utf-8", "replace")
        outcome, detail = classify(p.returncode, out, err, denials)
        return Observation(outcome, detail, p.returncode, out, err, cfg["process"]["args"][2], dt,
                           cfg)


# ------------------------------------------------------------------------------ the report
@dataclass(frozen=True)
class ProbeResult:
    """One probe: the verdict Z3 proved from the spec, the outcome observed, the raw facts."""
    probe: Probe
    expected: Outcome
    observed: Outcome
    exit_code: int
    stderr: str
    detail: str
    reason: str | None
    command: str
    seconds: float

    @property
    def agrees(self) -> bool:
        return self.expected.definite and self.expected == self.observed

    def to_json(self) -> dict:
        return {"probe": str(self.probe), "kind": self.probe.kind,
                "expected": self.expected.value, "observed": self.observed.value,
                "agrees": self.agrees, "exit_code": self.exit_code, "detail": self.detail,
                "stderr": _excerpt(self.stderr), "reason": self.reason,
                "command": self.command, "seconds": round(self.seconds, 4)}


@dataclass(frozen=True)
class Finding:
    """A disagreement: the spec forces ``expected``, the container did ``observed``."""
    probe: Probe
    expected: Outcome
    observed: Outcome
    detail: str
    command: str
    config: dict
    check_text: str
    replay: str

    def to_json(self) -> dict:
        return {"probe": str(self.probe), "expected": self.expected.value,
                "observed": self.observed.value, "detail": self.detail,
                "command": self.command, "config": self.config,
                "check_text": self.check_text, "replay": self.replay}


@dataclass
class EnforcementReport:
    """The outcome of :func:`check_enforcement`.

    ``results``: one per probe run, in order. ``findings``: the disagreements (both verdicts
    definite and different). ``undecided``: results where Z3 answered unknown or the
    observation matched no rule — never a pass. ``unprobed``: operations the policy refuses
    that no probe performs (so their enforcement was not observed). ``notes``: what this
    machine changed, e.g. capabilities the policy keeps that this process cannot grant.
    ``replay``: Python that runs the same probes again (the same seed draws the same probes).
    """
    spec: str
    policy: str
    runtime: str
    seed: int | None
    replay: str = ""
    results: list[ProbeResult] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    unprobed: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    runtime_seconds: float = 0.0
    solver_seconds: float = 0.0

    @property
    def undecided(self) -> list[ProbeResult]:
        return [r for r in self.results
                if not r.expected.definite or not r.observed.definite]

    @property
    def ok(self) -> bool:
        return bool(self.results) and not self.findings and not self.undecided

    @property
    def exit_code(self) -> int:
        """0 every probe agrees; 1 a finding; 3 no finding but something undecided."""
        return 1 if self.findings else (0 if self.ok else 3)

    def counts(self) -> dict[str, int]:
        return {"probes": len(self.results),
                "agree": sum(r.agrees for r in self.results),
                "findings": len(self.findings), "undecided": len(self.undecided)}

    @property
    def probes_per_second(self) -> float:
        return len(self.results) / self.seconds if self.seconds else 0.0

    def to_json(self) -> dict:
        return {"schema": "formalc-enforcement/1", "spec": self.spec, "policy": self.policy,
                "runtime": self.runtime, "seed": self.seed, "replay": self.replay,
                "ok": self.ok,
                "counts": self.counts(), "unprobed": self.unprobed, "notes": self.notes,
                "seconds": round(self.seconds, 3),
                "runtime_seconds": round(self.runtime_seconds, 3),
                "solver_seconds": round(self.solver_seconds, 3),
                "results": [r.to_json() for r in self.results],
                "findings": [f.to_json() for f in self.findings]}

    def to_text(self) -> str:
        c = self.counts()
        out = [f"enforcement of policy `{self.policy}` ({self.spec}) under {self.runtime}"
               + (f", seed {self.seed}" if self.seed is not None else "")]
        w = max([len(str(r.probe)) for r in self.results] + [5])
        out.append(f"  {'probe':<{w}}  {'spec (Z3)':<9}  {'observed':<12}  exit  detail")
        for r in self.results:
            mark = " " if r.agrees else "✘"
            out.append(f"{mark} {r.probe!s:<{w}}  {r.expected.value:<9}  "
                       f"{r.observed.value:<12}  {r.exit_code:>4}  {r.reason or r.detail}")
        for i, f in enumerate(self.findings, 1):
            runtime = self.runtime.split()[0]
            out += ["", (f"finding {i}: {f.probe}: the spec forces {f.expected.value}, "
                         f"{runtime} observed {f.observed.value} ({f.detail})"),
                    f"  command: /bin/sh -c {shlex.quote(f.command)}",
                    "  decided by (save beside the spec, run `formalc check` on it):",
                    *("    " + ln for ln in f.check_text.splitlines()),
                    "  config.json, the parts the policy sets (to_json() has all of it):",
                    *("    " + ln for ln in _config_lines(f.config)),
                    "  replay:", *("    " + ln for ln in f.replay.splitlines())]
        out.append("")
        if self.unprobed:
            out.append("refused by the policy but performed by no probe (not observed): "
                       + ", ".join(self.unprobed))
        out += [f"note: {n}" for n in self.notes]
        if not self.ok and self.replay:
            out += ["replay the run:", *("  " + ln for ln in self.replay.splitlines())]
        out.append(f"{c['probes']} probes: {c['agree']} agree, {c['findings']} "
                   f"finding{'' if c['findings'] == 1 else 's'}, "
                   f"{c['undecided']} undecided ({self.seconds:.1f} s: runtime "
                   f"{self.runtime_seconds:.1f} s, Z3 {self.solver_seconds:.1f} s; "
                   f"{self.probes_per_second:.1f} probes/s)")
        return "\n".join(out)


# ------------------------------------------------------------------------------ drawing probes
#: Probe kinds that take a parameter, and which one.
PARAMETERS = {"Read": "path", "Write": "path", "Alloc": "memory", "Spawn": "tasks",
              "SharesHost": "ns"}


def probe_strategy(spec, policy: Policy | None = None, *, max_tasks: int = 48):
    """A Hypothesis strategy for the probes of ``spec`` (a path, a ``Spec`` or
    :class:`SpecFacts`): a probe kind with a command, uniformly, then its parameter — a path of
    ``ReadPaths``/``WritePaths``, a size of ``AllocSizes``, a namespace kind, or a number of
    processes up to twice the policy's pids limit (at most ``max_tasks``, so the boundary is
    drawn for small limits without starting hundreds of processes)."""
    from hypothesis import strategies as st
    facts = spec if isinstance(spec, SpecFacts) else SpecFacts.of(spec)
    top = min(max_tasks, 2 * policy.pids) if policy is not None else max_tasks

    def with_parameter(kind: str):
        which = PARAMETERS.get(kind)
        if which is None:
            return st.just(Probe(kind))
        domain = {"Read": facts.read_paths, "Write": facts.write_paths,
                  "Alloc": facts.alloc_sizes, "SharesHost": facts.namespaces}.get(kind)
        values = st.integers(1, top) if kind == "Spawn" else st.sampled_from(domain)
        return values.map(lambda v: Probe(kind, **{which: v}))

    kinds = [k for k in facts.kinds if k in CATALOGUE]
    return st.sampled_from(kinds).flatmap(with_parameter)


#: Memory limits :func:`policy_strategy` draws from (those decisive for the spec's sizes).
MEMORY_LIMITS = tuple(m * 2**20 for m in (16, 32, 48, 96, 256, 512))


def policy_strategy(spec, *, name: str = "drawn"):
    """A Hypothesis strategy for policies of ``spec`` that runc can run here: any seccomp
    rules, capabilities, masked and read-only paths; a mount namespace plus any others but a
    user namespace; a pids limit of 8–64 and a memory limit of :data:`MEMORY_LIMITS`. Only
    policies for which the spec's predicates ``Runnable`` and ``Decisive`` (when it declares
    them) hold are drawn, so every verdict is observable."""
    from hypothesis import strategies as st
    facts = spec if isinstance(spec, SpecFacts) else SpecFacts.of(spec)
    mount = [n for n in facts.namespaces if facts.oci_ns[n] == "mount"]
    optional = [n for n in facts.namespaces if facts.oci_ns[n] not in ("mount", "user")]
    filters = [d for n in ("Runnable", "Decisive")
               if (d := facts.spec.definitions.get(n)) is not None and len(d.params) == 1]

    def subsets(xs):
        return st.frozensets(st.sampled_from(xs)) if xs else st.just(frozenset())

    def admissible(p: Policy) -> bool:
        return all(_holds(facts, d, p) for d in filters)

    return st.builds(Policy, name=st.just(name), errno=subsets(facts.syscalls),
                     kill=subsets(facts.syscalls), caps=subsets(facts.caps),
                     namespaces=subsets(optional).map(lambda ns: ns | frozenset(mount)),
                     masked=subsets(facts.paths), readonly=subsets(facts.paths),
                     memory=st.sampled_from(MEMORY_LIMITS),
                     pids=st.integers(8, 64)).filter(admissible)


def _holds(facts: SpecFacts, definition, policy: Policy) -> bool:
    """Whether the spec's one-parameter predicate ``definition`` holds for ``policy``
    (evaluated exactly, in Python: it only filters the inputs of the observation)."""
    from ..machines.evaluate import Record, compile_expr
    value = Record(name=policy.name, errno=policy.errno, kill=policy.kill, caps=policy.caps,
                   namespaces=policy.namespaces, masked=policy.masked,
                   readonly=policy.readonly, memory=Fraction(policy.memory), pids=policy.pids)
    return bool(compile_expr(definition.body, facts.spec)({definition.params[0][0]: value}))


def all_probes(facts: SpecFacts, policy: Policy | None = None, *, max_tasks: int = 48
               ) -> list[Probe]:
    """Every probe :func:`probe_strategy` can draw, except Spawn: 1 process and the two sides
    of the policy's pids limit (``pids - 1`` and ``pids``), or ``max_tasks`` when the limit is
    above it."""
    out: list[Probe] = []
    for k in facts.kinds:
        if k not in CATALOGUE:
            continue
        if k in ("Read", "Write"):
            out += [Probe(k, path=p) for p in (facts.read_paths if k == "Read"
                                               else facts.write_paths)]
        elif k == "Alloc":
            out += [Probe(k, memory=m) for m in facts.alloc_sizes]
        elif k == "SharesHost":
            out += [Probe(k, ns=n) for n in facts.namespaces]
        elif k == "Spawn":
            edge = policy.pids if policy is not None else max_tasks
            counts = {1, edge - 1, edge} if edge <= max_tasks else {1, max_tasks}
            out += [Probe(k, tasks=n) for n in sorted(counts) if n > 0]
        else:
            out.append(Probe(k))
    return out


# ------------------------------------------------------------------------------ the driver
def check_enforcement(spec, policy: str | Policy, probes=None, *, examples: int = 40,
                      seed: int | None = 0, runtime: str = "runc",
                      transform: Callable[[dict], dict | None] | None = None,
                      timeout: float = 10.0) -> EnforcementReport:
    """Run probes under ``policy`` and compare each observed outcome with the verdict Z3
    proves from ``spec``.

    ``spec``: the path of the enforcement spec (or a ``Spec`` loaded from one, or its
    :class:`SpecFacts`). ``policy``: the name of a ``Policy`` value of the spec (``"strict"``),
    or a :class:`Policy` (e.g. drawn by :func:`policy_strategy`). ``probes``:
    ``None`` draws ``examples`` probes with :func:`probe_strategy` (Hypothesis, ``seed``); a
    Hypothesis strategy draws ``examples`` probes from it; an iterable of :class:`Probe` runs
    each once, in order. A probe drawn twice runs once. ``transform``: applied to every
    compiled config before it runs (fault injection in tests). ``timeout``: seconds per Z3
    check.

    Raises :class:`RuntimeUnavailable` when the runtime cannot be used here (the caller skips
    or fails), ``SpecShapeError`` / ``PolicyError`` for a spec or policy it cannot handle.
    """
    facts = spec if isinstance(spec, SpecFacts) else SpecFacts.of(spec)
    if isinstance(policy, Policy):
        policy_name, policy_text, replay_arg = policy.name, policy.spec_text(), repr(policy)
    else:
        policy_name, policy_text, replay_arg = policy, policy, repr(policy)
        policy = facts.policy(policy)
    compile_policy(policy, facts, ["true"])  # refuse a policy we cannot run before starting
    unwritable = [p for p in facts.write_paths if facts.path_of[p] not in WRITES]
    if unwritable:
        raise SpecShapeError(f"WritePaths holds {', '.join(unwritable)}, for which there is no "
                             f"write command; the writable targets are {', '.join(WRITES)}")
    probe_runtime(runtime)
    oracle = VerdictOracle(facts, policy_text, timeout)
    t0 = time.perf_counter()
    with Runtime(runtime) as rt:
        how = (f"examples={examples}, seed={seed}" if probes is None else
               f"<the strategy>, examples={examples}, seed={seed}" if _is_strategy(probes)
               else None)
        report = EnforcementReport(spec=_display(facts.file), policy=policy_name,
                                   runtime=_version(rt), seed=seed if how else None,
                                   replay=_replay_run(facts.file, replay_arg, how,
                                                      transform is not None))
        runner = ProbeRunner(rt, facts, policy, transform)
        withheld = sorted({oci_cap(c) for c in policy.caps} - (runner.grantable or set())
                          if runner.grantable is not None else ())
        commandless = [k for k in facts.kinds if k not in CATALOGUE]
        if commandless:
            report.notes.append("probe kinds without a command, never drawn: "
                                + ", ".join(commandless))
        if withheld:
            report.notes.append(f"not granted, as this process does not hold them (runc could "
                                f"not start the container otherwise): {', '.join(withheld)}; "
                                "a probe that needs one is a finding")
        seen: set[Probe] = set()

        def one(probe: Probe) -> None:
            if probe in seen:
                return
            seen.add(probe)
            exp = oracle.expected(probe)
            obs = runner.run(probe)
            report.results.append(ProbeResult(probe, exp.outcome, obs.outcome, obs.exit_code,
                                              obs.stderr, obs.detail, exp.reason, obs.command,
                                              obs.seconds))
            if exp.outcome.definite and obs.outcome.definite and exp.outcome != obs.outcome:
                report.findings.append(Finding(probe, exp.outcome, obs.outcome, obs.detail,
                                               obs.command, obs.config, exp.check_text,
                                               _replay(facts.file, replay_arg, probe,
                                                       transform is not None)))

        if probes is None or _is_strategy(probes):
            _draw(probe_strategy(facts, policy) if probes is None else probes, one,
                  examples, seed)
        else:
            probes = list(probes)
            oracle.prefetch(probes)
            for p in probes:
                one(p)
        report.runtime_seconds = rt.seconds
    report.seconds = time.perf_counter() - t0
    report.solver_seconds = oracle.seconds
    performed = {s for k in facts.kinds if k in CATALOGUE for s in facts.uses.get(k, ())}
    report.unprobed = sorted((policy.errno | policy.kill) - performed)
    return report


def _draw(strategy, one: Callable[[Probe], None], examples: int, seed: int | None) -> None:
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import seed as fix_seed

    # Every drawn probe is recorded, agreeing or not, so nothing is raised and nothing shrunk:
    # a probe is already minimal, and a finding is replayed from its own transcript.
    @settings(max_examples=examples, phases=[Phase.generate], database=None, deadline=None,
              suppress_health_check=list(HealthCheck))
    @given(strategy)
    def draw(probe):
        one(probe)

    (fix_seed(seed)(draw) if seed is not None else draw)()


def _is_strategy(x) -> bool:
    from hypothesis.strategies import SearchStrategy
    return isinstance(x, SearchStrategy)


def _display(path: Path) -> str:
    try:
        rel = os.path.relpath(path)
        return rel if not rel.startswith("..") else str(path)
    except ValueError:
        return str(path)


def _version(rt: Runtime) -> str:
    try:
        p = subprocess.run([rt.binary, "--version"], capture_output=True, text=True,
                           timeout=10, check=False)
        first = p.stdout.splitlines()[0] if p.stdout else rt.name
        return first.replace(" version", "")
    except (OSError, subprocess.SubprocessError):
        return rt.name


def _config_lines(cfg: dict) -> list[str]:
    """One line per part of a config that a policy sets."""
    proc, linux = cfg.get("process", {}), cfg.get("linux", {})
    parts = [("process.args", proc.get("args")),
             ("process.capabilities.bounding", proc.get("capabilities", {}).get("bounding"))]
    parts += [(f"linux.{k}", v) for k, v in linux.items()]
    return [f"{k}: {json.dumps(v)}" for k, v in parts if v is not None]


def _call(file: Path, policy: str, probes: str, transformed: bool, names: str) -> str:
    extra = ", transform=...)  # pass the transform this run used" if transformed else ")"
    return (f"from formalc.conform.probes import {names}\n"
            f"report = check_enforcement({str(file)!r}, {policy}, {probes}{extra}\n"
            "print(report.to_text())")


def _replay_run(file: Path, policy: str, how: str | None, transformed: bool) -> str:
    if how is None:  # an explicit list: each finding has its own replay
        return ""
    return _call(file, policy, how, transformed, "Policy, check_enforcement")


def _replay(file: Path, policy: str, probe: Probe, transformed: bool) -> str:
    return _call(file, policy, f"[{probe!r}]", transformed, "Policy, Probe, check_enforcement")
