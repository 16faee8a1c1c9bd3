"""The compiler: a :class:`~.facts.Policy` to the OCI ``config.json`` that enforces it
(:func:`compile_policy`), and the config one probe runs with (:func:`probe_config`).

>>> facts = SpecFacts.of("specs/enforcement.iot")                  # doctest: +SKIP
>>> cfg = compile_policy(facts.policy("strict"), facts, ["true"])  # doctest: +SKIP
>>> cfg["linux"]["resources"]["pids"]                              # doctest: +SKIP
{'limit': 16}
"""
from __future__ import annotations

import platform
from collections.abc import Callable

from ..bundle import default_config
from .catalogue import probe_command
from .facts import Policy, Probe, SpecFacts

__all__ = ["CAPABILITY_NUMBERS", "PolicyError", "compile_policy", "grantable_caps", "oci_cap",
           "probe_config"]


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
