"""The secure container of the seed's §9.3: a security policy turned into a real OCI
runtime-spec ``config.json``.

The seed's ``SecureContainer::new`` builds a seccomp filter, an AppArmor profile, a capability
set and a namespace set, and ``run`` applies them and runs the container. Here a
:class:`SecurityPolicy` holds those choices (and the cgroup limits and paths a real runtime
needs), :meth:`SecureContainer.config` writes the ``config.json`` that makes ``runc`` (or any
OCI runtime) apply them, starting from :func:`formalc.conform.bundle.default_config`, and
:meth:`SecureContainer.run` runs it on a :class:`formalc.conform.bundle.Runtime`.

What a policy promises is stated twice, independently, so the two can be compared:

- :meth:`SecurityPolicy.promises` — the facts of the ``OciConfig`` record of
  ``specs/threats.iot`` the config must produce once formalc imports it (capabilities
  obtainable, dangerous calls reachable, namespaces, limits, …);
- :meth:`SecurityPolicy.guarantees` — which threats of Definition 5.1 the policy claims to
  mitigate, by the plain rules in its docstring; the spec's ``Mitigated_*`` predicates must
  agree.

``tests/test_models.py`` imports each generated config with formalc's OCI importer, builds the
``OciConfig`` view and evaluates the spec's definitions on it.

The config is built so that it is well formed for the kernel and the spec
(``WellFormedOci``): the bounding, effective and permitted sets are exactly the kept
capabilities; inheritable and ambient are empty; a user namespace comes with uid and gid
mappings; without a UTS namespace no hostname is set (runc refuses one).

The buggy twins: :class:`BoundingLeakContainer` forgets to drop capabilities from the bounding
set; :class:`NoUsernsContainer` writes the uid mappings but leaves the user namespace out.

>>> cfg = SecureContainer(SecurityPolicy.hardened()).config(["/bin/sleep", "1"])
>>> cfg["process"]["capabilities"]["bounding"], [n["type"] for n in cfg["linux"]["namespaces"]][-2:]
(['CAP_NET_BIND_SERVICE'], ['user', 'cgroup'])
"""
from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from fractions import Fraction

MiB = 2**20

ALLOW, ERRNO, KILL, LOG = "SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_LOG"
#: Seccomp actions a policy may use, and whether each lets the call reach the kernel.
ACTIONS = {ALLOW: True, LOG: True, ERRNO: False, KILL: False}

#: Namespaces in the order runc writes them (the importer's order too).
NAMESPACES = ("pid", "network", "mount", "ipc", "uts", "user", "cgroup")

#: The /proc entries specs/threats.iot requires masked (``maskedProc``).
SENSITIVE_PROC = ("/proc/kcore", "/proc/keys")

DEFAULT_MASKED = ("/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys",
                  "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
                  "/proc/sched_debug", "/sys/firmware", "/proc/scsi")
DEFAULT_READONLY = ("/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger")

#: Docker's default capability set (``DockerDefaultCaps`` of specs/threats.iot).
DOCKER_DEFAULT_CAPS = frozenset({
    "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW",
    "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE",
    "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"})

# The sets of specs/threats.iot behind the guarantees (Definition 5.1).
ESCAPE_CAPS = frozenset({"CAP_SYS_ADMIN", "CAP_SYS_MODULE", "CAP_SYS_PTRACE", "CAP_DAC_READ_SEARCH"})
ESCALATION_CAPS = frozenset({"CAP_SYS_ADMIN", "CAP_SYS_MODULE", "CAP_SYS_PTRACE", "CAP_SYS_RAWIO",
                             "CAP_SYS_BOOT", "CAP_DAC_READ_SEARCH", "CAP_MAC_ADMIN",
                             "CAP_MAC_OVERRIDE", "CAP_BPF", "CAP_PERFMON", "CAP_SETFCAP"})
ESCAPE_CALLS = frozenset({"mount", "unshare", "setns", "bpf", "keyctl", "open_by_handle_at"})
DANGEROUS_CALLS = frozenset({
    "mount", "umount2", "unshare", "setns", "bpf", "keyctl", "add_key", "request_key",
    "open_by_handle_at", "ptrace", "process_vm_writev", "init_module", "finit_module",
    "delete_module", "kexec_load", "perf_event_open", "userfaultfd", "fsopen", "fsconfig",
    "move_mount", "pivot_root"})

#: What a process needs to start and run busybox under a deny-by-default filter (x86-64 and
#: arm64 names; unknown ones on an architecture are ignored by runc).
BASELINE_CALLS = (
    "read", "write", "readv", "writev", "pread64", "pwrite64", "close", "openat", "open",
    "fstat", "newfstatat", "stat", "lstat", "statx", "lseek", "getdents64", "readlink",
    "readlinkat", "access", "faccessat", "faccessat2", "fcntl", "dup", "dup2", "dup3", "pipe",
    "pipe2", "ioctl", "getcwd", "chdir", "mkdir", "mkdirat", "unlink", "unlinkat", "rename",
    "renameat", "brk", "mmap", "munmap", "mprotect", "mremap", "madvise", "arch_prctl",
    "set_tid_address", "set_robust_list", "rseq", "prlimit64", "getrandom", "futex",
    "execve", "execveat", "exit", "exit_group", "wait4", "waitid", "clone", "clone3", "fork",
    "vfork", "kill", "tgkill", "getpid", "getppid", "gettid", "getuid", "geteuid", "getgid",
    "getegid", "getgroups", "setpgid", "getpgid", "getpgrp", "setsid", "uname", "sysinfo",
    "rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "rt_sigsuspend", "sigaltstack",
    "nanosleep", "clock_nanosleep", "clock_gettime", "gettimeofday", "time", "poll", "ppoll",
    "select", "pselect6", "capget", "capset", "prctl", "umask", "setgroups", "setuid",
    "setgid", "setresuid", "setresgid", "sched_yield", "sched_getaffinity", "statfs", "fstatfs",
    "close_range", "epoll_create1", "epoll_ctl", "epoll_pwait", "epoll_wait", "fchdir",
    "getrlimit", "setrlimit", "sysinfo", "getsockopt", "socket", "connect", "sendto",
    "recvfrom", "sendmsg", "recvmsg", "fchown", "fchmod", "chmod", "chown", "utimensat")


@dataclass(frozen=True)
class SecurityPolicy:
    """What a secure container gets. ``seccomp_default`` (None: no filter) and
    ``syscalls`` (name → action, one action per name); ``capabilities`` to keep (CAP_ names;
    every other one is dropped from every set); ``namespaces`` of its own (the others are
    the host's); ``masked_paths`` and ``readonly_paths``; ``memory`` (bytes), ``cpu``
    (cores) and ``pids`` limits (None: unlimited); an AppArmor profile name;
    ``readonly_root``, ``no_new_privileges`` and the ``uid`` inside the container; a user
    namespace maps container ids 0… to host ids ``userns_base``…"""
    seccomp_default: str | None = ERRNO
    syscalls: tuple[tuple[str, str], ...] = ()
    capabilities: frozenset = frozenset()
    namespaces: frozenset = frozenset(NAMESPACES)
    masked_paths: tuple[str, ...] = DEFAULT_MASKED
    readonly_paths: tuple[str, ...] = DEFAULT_READONLY
    memory: int | None = 256 * MiB
    cpu: Fraction | None = Fraction(1)
    pids: int | None = 128
    apparmor_profile: str | None = None
    readonly_root: bool = True
    no_new_privileges: bool = True
    uid: int = 0
    userns_base: int = 100000

    def __post_init__(self):
        rules = dict(self.syscalls)
        for name, action in rules.items():
            if action not in ACTIONS:
                raise ValueError(f"seccomp action {action!r} for {name} is not one of "
                                 f"{', '.join(ACTIONS)}")
        if self.seccomp_default is not None and self.seccomp_default not in ACTIONS:
            raise ValueError(f"seccomp default {self.seccomp_default!r} is not one of "
                             f"{', '.join(ACTIONS)}")
        bad = set(self.namespaces) - set(NAMESPACES)
        if bad:
            raise ValueError(f"unknown namespaces {sorted(bad)}")
        object.__setattr__(self, "syscalls", tuple(sorted(rules.items())))
        object.__setattr__(self, "capabilities", frozenset(self.capabilities))
        object.__setattr__(self, "namespaces", frozenset(self.namespaces))

    # ---------------------------------------------------------------- reference policies
    @classmethod
    def seed(cls) -> SecurityPolicy:
        """The seed's ``SecureContainer::new`` taken literally: seccomp allows read, write and
        exit (plus what a process needs to start at all) and kills on ptrace; Docker's default
        capabilities without SYS_ADMIN and SYS_PTRACE (which it lacks anyway); the PID,
        network and mount namespaces only; the AppArmor profile that denies /proc and /sys
        (its name; see :meth:`SecureContainer.apparmor_profile`). No limits: the seed sets
        none."""
        calls = {c: ALLOW for c in BASELINE_CALLS}
        calls["ptrace"] = KILL
        return cls(seccomp_default=ERRNO, syscalls=tuple(calls.items()),
                   capabilities=DOCKER_DEFAULT_CAPS - {"CAP_SYS_ADMIN", "CAP_SYS_PTRACE"},
                   namespaces=frozenset({"pid", "network", "mount"}),
                   memory=None, cpu=None, pids=None, apparmor_profile="formalc-seed",
                   readonly_root=False)

    @classmethod
    def hardened(cls) -> SecurityPolicy:
        """Every namespace (user included), NET_BIND_SERVICE only, a deny-by-default seccomp
        filter that allows :data:`BASELINE_CALLS` only, an AppArmor profile, /proc masked,
        a read-only root, no_new_privs and memory, CPU and pids limits."""
        return cls(seccomp_default=ERRNO,
                   syscalls=tuple((c, ALLOW) for c in BASELINE_CALLS),
                   capabilities=frozenset({"CAP_NET_BIND_SERVICE"}),
                   apparmor_profile="formalc-hardened")

    # ---------------------------------------------------------------- what it promises
    def action(self, call: str) -> str | None:
        """The seccomp action for ``call`` (None: no filter)."""
        if self.seccomp_default is None:
            return None
        return dict(self.syscalls).get(call, self.seccomp_default)

    def reachable(self, call: str) -> bool:
        """Whether ``call`` reaches the kernel."""
        a = self.action(call)
        return a is None or ACTIONS[a]

    def promises(self) -> dict:
        """The fields and derived values of the ``OciConfig`` (specs/threats.iot) that the
        config must produce, by the policy alone. Keys are the spec's names: record fields,
        or unary definitions over ``OciConfig``; capability names without ``CAP_``."""
        caps = frozenset(c.removeprefix("CAP_") for c in self.capabilities)
        ns = self.namespaces
        return {
            "WellFormedOci": True,
            "uid": self.uid,
            "noNewPrivileges": self.no_new_privileges,
            "capsBounding": caps, "capsEffective": caps, "capsPermitted": caps,
            "capsAmbient": frozenset(), "capsInheritable": frozenset(),
            "ObtainableCaps": caps,
            "privileged": False,
            "seccomp": self.seccomp_default is not None,
            "seccompDefaultAllows": self.seccomp_default == ALLOW,
            "ReachableCalls": frozenset(c for c in DANGEROUS_CALLS if self.reachable(c)),
            "userns": "user" in ns,
            "hostNetwork": "network" not in ns, "hostPID": "pid" not in ns,
            "hostIPC": "ipc" not in ns,
            "NoHostNamespaces": {"pid", "network", "ipc"} <= ns,
            "maskedProc": set(SENSITIVE_PROC) <= set(self.masked_paths),
            "readonlyRoot": self.readonly_root,
            "apparmor": self.apparmor_profile is not None,
            "memoryLimit": self.memory is not None, "cpuLimit": self.cpu is not None,
            "pidsLimit": self.pids is not None,
            "AllLimits": None not in (self.memory, self.cpu, self.pids),
            "hypervisor": False, "userKernel": False,
        }

    def guarantees(self) -> frozenset[str]:
        """The threats of Definition 5.1 this policy claims to mitigate, by these rules:

        - ResourceExhaustion: memory, CPU and pids limits are all set;
        - ContainerEscape: no escape capability is kept (SYS_ADMIN, SYS_MODULE, SYS_PTRACE,
          DAC_READ_SEARCH), seccomp blocks the escape calls (mount, unshare, setns, bpf, keyctl,
          open_by_handle_at), the process is not root on the host (a user namespace or a
          non-zero uid), /proc/kcore and /proc/keys are masked, and the PID, network and IPC
          namespaces are its own;
        - PrivilegeEscalation: no_new_privs, no escalation capability kept, not root on the
          host, a filter whose default is not "allow", keyctl and bpf blocked;
        - DataLeakage: its own PID, network and IPC namespaces, an AppArmor profile, /proc
          masked.
        """
        caps = self.capabilities
        not_host_root = "user" in self.namespaces or self.uid != 0
        own = {"pid", "network", "ipc"} <= self.namespaces
        masked = set(SENSITIVE_PROC) <= set(self.masked_paths)
        out = set()
        if None not in (self.memory, self.cpu, self.pids):
            out.add("ResourceExhaustion")
        if not caps & ESCAPE_CAPS and not any(self.reachable(c) for c in ESCAPE_CALLS) \
                and not_host_root and masked and own:
            out.add("ContainerEscape")
        if self.no_new_privileges and not caps & ESCALATION_CAPS and not_host_root \
                and self.seccomp_default not in (None, ALLOW, LOG) \
                and not self.reachable("keyctl") and not self.reachable("bpf"):
            out.add("PrivilegeEscalation")
        if own and self.apparmor_profile is not None and masked:
            out.add("DataLeakage")
        return frozenset(out)


class SecureContainer:
    """A container secured by a :class:`SecurityPolicy` (the seed's ``SecureContainer``).

    ``SecureContainer()`` is the seed's ``SecureContainer::new()`` (:meth:`SecurityPolicy.seed`).
    """

    def __init__(self, policy: SecurityPolicy | None = None, name: str = "secure"):
        self.policy = policy if policy is not None else SecurityPolicy.seed()
        self.name = name

    # ---------------------------------------------------------------- the parts
    def seccomp(self) -> dict | None:
        """The ``linux.seccomp`` section (None: no filter). Calls are grouped by action."""
        p = self.policy
        if p.seccomp_default is None:
            return None
        by_action: dict[str, list[str]] = {}
        for call, action in p.syscalls:
            if action != p.seccomp_default:
                by_action.setdefault(action, []).append(call)
        return {"defaultAction": p.seccomp_default,
                "syscalls": [{"names": sorted(names), "action": a}
                             for a, names in sorted(by_action.items())]}

    def capability_sets(self) -> dict:
        keep = sorted(self.policy.capabilities)
        return {"bounding": keep, "effective": list(keep), "permitted": list(keep),
                "inheritable": [], "ambient": []}

    def namespaces(self) -> list[dict]:
        return [{"type": t} for t in NAMESPACES if t in self.policy.namespaces]

    def resources(self, base: dict) -> dict:
        p = self.policy
        res = copy.deepcopy(base)
        if p.memory is not None:
            res["memory"] = {"limit": int(p.memory)}
        if p.cpu is not None:
            period = 100000
            res["cpu"] = {"quota": int(Fraction(p.cpu) * period), "period": period}
        if p.pids is not None:
            res["pids"] = {"limit": int(p.pids)}
        return res

    def apparmor_profile(self) -> str:
        """The AppArmor profile the config names: the seed's rules (deny /proc/* and /sys/*
        writes, allow /tmp/*), to be loaded with ``apparmor_parser`` on the host."""
        name = self.policy.apparmor_profile or "formalc-unnamed"
        return (f"profile {name} flags=(attach_disconnected,mediate_deleted) {{\n"
                "  file,\n  network,\n  capability,\n"
                "  deny /proc/* w,\n  deny /sys/* w,\n  /tmp/* rw,\n}\n")

    # ---------------------------------------------------------------- the config
    def config(self, args: list[str]) -> dict:
        """The OCI runtime-spec ``config.json`` (a dict) that runs ``args`` under the policy."""
        from formalc.conform.bundle import default_config
        p = self.policy
        cfg = default_config(list(args), hostname=self.name)
        proc = cfg["process"]
        proc["user"] = {"uid": p.uid, "gid": p.uid}
        proc["noNewPrivileges"] = p.no_new_privileges
        proc["capabilities"] = self.capability_sets()
        if p.apparmor_profile is not None:
            proc["apparmorProfile"] = p.apparmor_profile
        cfg["root"]["readonly"] = p.readonly_root
        if "uts" not in p.namespaces:
            cfg.pop("hostname", None)
        cfg["annotations"] = {"name": self.name}
        linux = cfg["linux"]
        linux["namespaces"] = self.namespaces()
        if "user" in p.namespaces:
            m = [{"containerID": 0, "hostID": p.userns_base, "size": 65536}]
            linux["uidMappings"], linux["gidMappings"] = m, copy.deepcopy(m)
        linux["maskedPaths"] = list(p.masked_paths)
        linux["readonlyPaths"] = list(p.readonly_paths)
        linux["resources"] = self.resources(linux.get("resources", {}))
        sec = self.seccomp()
        if sec is not None:
            linux["seccomp"] = sec
        return cfg

    def config_json(self, args: list[str]) -> str:
        return json.dumps(self.config(args), indent=1)

    def run(self, args: list[str], runtime, cid: str | None = None):
        """Run ``args`` to completion under the policy on ``runtime`` (a
        :class:`formalc.conform.bundle.Runtime`); returns the ``CompletedProcess``."""
        bundle = runtime.bundle(list(args), config=self.config(args))
        return runtime.run_once(cid or self.name, bundle)


# ------------------------------------------------------------------------------ buggy twins
class BoundingLeakContainer(SecureContainer):
    """BUGGY on purpose: drops capabilities from the effective and permitted sets but leaves
    the bounding set at Docker's default, so without no_new_privs a set-uid or file-capability
    binary regains them. Caught through ``ObtainableCaps`` (specs/threats.iot)."""

    def capability_sets(self) -> dict:
        sets = super().capability_sets()
        sets["bounding"] = sorted(DOCKER_DEFAULT_CAPS | self.policy.capabilities)
        return sets


class NoUsernsContainer(SecureContainer):
    """BUGGY on purpose: writes the uid/gid mappings but leaves the user namespace out of
    ``linux.namespaces``, so the container's root is the host's root. Caught through
    ``userns`` and ``Mitigated_ContainerEscape``."""

    def namespaces(self) -> list[dict]:
        return [n for n in super().namespaces() if n["type"] != "user"]


__all__ = [
    "ACTIONS",
    "ALLOW",
    "BASELINE_CALLS",
    "DANGEROUS_CALLS",
    "DEFAULT_MASKED",
    "DEFAULT_READONLY",
    "DOCKER_DEFAULT_CAPS",
    "ERRNO",
    "ESCALATION_CAPS",
    "ESCAPE_CALLS",
    "ESCAPE_CAPS",
    "KILL",
    "LOG",
    "NAMESPACES",
    "BoundingLeakContainer",
    "NoUsernsContainer",
    "SecureContainer",
    "SecurityPolicy",
]
