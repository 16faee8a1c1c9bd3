"""OCI runtime ``config.json`` (runtime-spec 1.x, e.g. what ``runc spec`` writes) → an
:class:`~formalc.artifacts.Artifact` of kind ``"oci"``.

The normalised ``value``::

    {"name": str, "process": {"user": {"uid": int, "gid": int}, "noNewPrivileges": bool,
       "capabilities": {"bounding": [...], "effective": [...], "inheritable": [...],
                        "permitted": [...], "ambient": [...]},
       "apparmorProfile": str|None, "selinuxLabel": str|None, "terminal": bool, "args": [str]},
     "root": {"readonly": bool}, "privileged": bool,
     "namespaces": [str], "hostNamespaces": [str], "maskedPaths": [str], "readonlyPaths": [str],
     "mounts": [{"destination": str, "source": str|None, "type": str|None, "options": [str]}],
     "hostMounts": [str], "seccomp": {"defaultAction": str, "rules": int}|None,
     "hypervisor": str|None,
     "resources": {"memoryLimit": int|None, "cpuQuota": int|None, "cpuPeriod": int|None,
                   "pidsLimit": int|None}}

Rules worth knowing:

- ``name``: the annotation ``io.kubernetes.cri.container-name``, ``io.kubernetes.container.name``
  or ``name``; else the file's stem, or its folder's name when the file is ``config.json``
  (a bundle: ``bundles/web/config.json`` → ``web``).
- ``namespaces`` lists the namespaces the container gets of its own, in the order
  pid network mount ipc uts user cgroup time; joining ``/proc/1/ns/…`` counts as the host's.
  ``hostNamespaces`` lists which of pid network mount ipc uts user cgroup it shares with the
  host (absent from ``linux.namespaces``, or joined at ``/proc/1/ns/…``).
- ``privileged`` is what ``docker run --privileged`` produces: the bounding and effective sets
  both hold every capability of Linux 3.16+ (CAP_CHOWN … CAP_AUDIT_READ, so an older runtime's
  "all" counts too), no seccomp filter, AppArmor absent or ``unconfined``, no masked paths.
- ``hostMounts``: sources of mounts of type ``bind`` or with a ``bind``/``rbind`` option.
- Resource limits that mean "unlimited" (a negative memory limit or CPU quota, a pids limit
  ≤ 0) are ``None``, like absent ones.
- ``seccomp.rules`` is the number of entries of ``linux.seccomp.syscalls``.
"""
from __future__ import annotations

from pathlib import PurePath

from . import Artifact
from ..diagnostics import suggest
from .positions import Document, Reader

#: Linux capabilities, in kernel order (CAP_CHOWN = 0 … CAP_CHECKPOINT_RESTORE = 40).
CAPABILITIES = (
    "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID",
    "CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK",
    "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE", "CAP_SYS_RESOURCE",
    "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE", "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG",
    "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE")
_CAPS = frozenset(CAPABILITIES)
#: The capabilities every kernel since 3.16 has: "all capabilities" for ``privileged``.
BASE_CAPABILITIES = frozenset(CAPABILITIES[:CAPABILITIES.index("CAP_AUDIT_READ") + 1])

NAMESPACES = ("pid", "network", "mount", "ipc", "uts", "user", "cgroup", "time")
HOST_SHAREABLE = NAMESPACES[:7]
SECCOMP_ACTIONS = ("SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD",
                   "SCMP_ACT_TRAP", "SCMP_ACT_ERRNO", "SCMP_ACT_TRACE", "SCMP_ACT_ALLOW",
                   "SCMP_ACT_LOG", "SCMP_ACT_NOTIFY")
CAP_SETS = ("bounding", "effective", "inheritable", "permitted", "ambient")
NAME_ANNOTATIONS = ("io.kubernetes.cri.container-name", "io.kubernetes.container.name", "name")

_TOP = {"ociVersion", "process", "root", "hostname", "domainname", "mounts", "hooks",
        "annotations", "linux", "solaris", "windows", "vm", "zos"}
_PROCESS = {"terminal", "consoleSize", "cwd", "env", "args", "commandLine", "rlimits",
            "apparmorProfile", "capabilities", "noNewPrivileges", "oomScoreAdj", "scheduler",
            "selinuxLabel", "ioPriority", "execCPUAffinity", "user"}
_USER = {"uid", "gid", "umask", "additionalGids", "username"}
_LINUX = {"namespaces", "uidMappings", "gidMappings", "timeOffsets", "devices", "cgroupsPath",
          "rootfsPropagation", "resources", "unified", "sysctl", "seccomp", "maskedPaths",
          "readonlyPaths", "mountLabel", "personality", "intelRdt", "memoryPolicy",
          "netDevices"}
_RESOURCES = {"devices", "memory", "cpu", "blockIO", "hugepageLimits", "network", "pids",
              "rdma", "unified"}
_MEMORY = {"limit", "reservation", "swap", "kernel", "kernelTCP", "swappiness",
           "disableOOMKiller", "useHierarchy", "checkBeforeUpdate"}
_CPU = {"shares", "quota", "burst", "period", "realtimeRuntime", "realtimePeriod", "cpus",
        "mems", "idle"}
_SECCOMP = {"defaultAction", "defaultErrnoRet", "architectures", "flags", "listenerPath",
            "listenerMetadata", "syscalls"}
_MOUNT = {"destination", "source", "options", "type", "uidMappings", "gidMappings"}
_VM = {"hypervisor", "kernel", "image"}


def normalise_capability(name: str, allow_all: bool = False) -> str | None:
    """``net_admin`` / ``NET_ADMIN`` / ``CAP_NET_ADMIN`` → ``CAP_NET_ADMIN``; ``ALL`` stays
    ``ALL`` when ``allow_all``; None for an unknown name."""
    upper = name.strip().upper()
    if allow_all and upper == "ALL":
        return "ALL"
    cap = upper if upper.startswith("CAP_") else "CAP_" + upper
    return cap if cap in _CAPS else None


def capability_diagnostic(r: Reader, name: str, path: tuple) -> None:
    bare = name.strip().upper().removeprefix("CAP_")
    hint = suggest("CAP_" + bare, CAPABILITIES) or suggest(bare, [c[4:] for c in CAPABILITIES])
    r.error("FC606", f"unknown Linux capability `{name}`", path, hint=hint)


def import_oci(doc: Document, file: str) -> Artifact:
    """Normalise one OCI runtime config document (see the module docstring for the shape)."""
    r = Reader(doc)
    origin: dict = {}
    r.fields((), _TOP, "the OCI config")
    if not r.has(("ociVersion",)):
        r.require(("ociVersion",), str, "an OCI runtime config")
    else:
        r.get(("ociVersion",), str)

    annotations = r.get(("annotations",), dict, {})
    name = next((annotations[k] for k in NAME_ANNOTATIONS
                 if isinstance(annotations.get(k), str) and annotations[k]), None)
    if name is None:
        p = PurePath(file)
        name = p.parent.name if p.name == "config.json" and p.parent.name else p.stem
    else:
        origin[("name",)] = ("annotations", next(k for k in NAME_ANNOTATIONS
                                                 if annotations.get(k) == name))

    # process
    P = ("process",)
    r.fields(P, _PROCESS, "`process`")
    r.fields(P + ("user",), _USER, "`process.user`")
    r.fields(P + ("capabilities",), CAP_SETS, "`process.capabilities`")
    caps: dict[str, list[str]] = {}
    for s in CAP_SETS:
        caps[s] = []
        for i, c in r.items(P + ("capabilities", s), str):
            cap = normalise_capability(c)
            if cap is None:
                capability_diagnostic(r, c, P + ("capabilities", s, i))
            elif cap not in caps[s]:
                origin[("process", "capabilities", s, len(caps[s]))] = P + ("capabilities", s, i)
                caps[s].append(cap)
    args = [a for _, a in r.items(P + ("args",), str)]
    apparmor = r.get(P + ("apparmorProfile",), str) or None
    process = {
        "user": {"uid": r.get(P + ("user", "uid"), int, 0), "gid": r.get(P + ("user", "gid"), int, 0)},
        "noNewPrivileges": r.get(P + ("noNewPrivileges",), bool, False),
        "capabilities": caps,
        "apparmorProfile": apparmor,
        "selinuxLabel": r.get(P + ("selinuxLabel",), str) or None,
        "terminal": r.get(P + ("terminal",), bool, False),
        "args": args,
    }

    # root
    if not r.has(("root",)):
        r.require(("root", "path"), str, "an OCI runtime config for Linux")
    r.fields(("root",), {"path", "readonly"}, "`root`")
    root = {"readonly": r.get(("root", "readonly"), bool, False)}

    # linux
    L = ("linux",)
    r.fields(L, _LINUX, "`linux`")
    own, host = [], []
    for i, ns in r.items(L + ("namespaces",), dict):
        r.fields(L + ("namespaces", i), {"type", "path"}, "a namespace")
        t = r.require(L + ("namespaces", i, "type"), str, "a namespace")
        if t is None:
            continue
        if t not in NAMESPACES:
            r.error("FC609", f"unknown namespace type `{t}`", L + ("namespaces", i, "type"),
                    hint=suggest(t, NAMESPACES) or "one of " + ", ".join(NAMESPACES))
            continue
        path = r.get(L + ("namespaces", i, "path"), str) or ""
        if path.startswith("/proc/1/ns/"):
            host.append((t, i))
        elif t not in [x for x, _ in own]:
            own.append((t, i))
    own.sort(key=lambda x: NAMESPACES.index(x[0]))
    namespaces = [t for t, _ in own]
    for k, (t, i) in enumerate(own):
        origin[("namespaces", k)] = L + ("namespaces", i)
    host_ns = [t for t in HOST_SHAREABLE if t not in namespaces]
    joined = dict(host)
    for k, t in enumerate(host_ns):
        origin[("hostNamespaces", k)] = (L + ("namespaces", joined[t]) if t in joined
                                         else L + ("namespaces",))

    masked = _strings(r, L + ("maskedPaths",), origin, ("maskedPaths",))
    readonly = _strings(r, L + ("readonlyPaths",), origin, ("readonlyPaths",))

    mounts, host_mounts = [], []
    for i, m in r.items(("mounts",), dict):
        mp = ("mounts", i)
        r.fields(mp, _MOUNT, "a mount")
        dest = r.require(mp + ("destination",), str, "a mount")
        if dest is None:
            continue
        mount = {"destination": dest, "source": r.get(mp + ("source",), str),
                 "type": r.get(mp + ("type",), str),
                 "options": [o for _, o in r.items(mp + ("options",), str)]}
        origin[("mounts", len(mounts))] = mp
        mounts.append(mount)
        if mount["source"] and (mount["type"] == "bind"
                                or {"bind", "rbind"} & set(mount["options"])):
            origin[("hostMounts", len(host_mounts))] = mp + ("source",)
            host_mounts.append(mount["source"])

    S = L + ("seccomp",)
    seccomp = None
    if r.has(S) and r.get(S, dict) is not None:
        r.fields(S, _SECCOMP, "`linux.seccomp`")
        action = r.require(S + ("defaultAction",), str, "`linux.seccomp`")
        if action is not None and action not in SECCOMP_ACTIONS:
            r.error("FC609", f"unknown seccomp action `{action}`", S + ("defaultAction",),
                    hint=suggest(action, SECCOMP_ACTIONS) or "one of " + ", ".join(SECCOMP_ACTIONS))
        seccomp = {"defaultAction": action or "", "rules": len(r.items(S + ("syscalls",), dict))}
        origin[("seccomp",)] = S
        origin[("seccomp", "defaultAction")] = S + ("defaultAction",)
        origin[("seccomp", "rules")] = S + ("syscalls",)

    R = L + ("resources",)
    r.fields(R, _RESOURCES, "`linux.resources`")
    r.fields(R + ("memory",), _MEMORY, "`linux.resources.memory`")
    r.fields(R + ("cpu",), _CPU, "`linux.resources.cpu`")
    r.fields(R + ("pids",), {"limit"}, "`linux.resources.pids`")
    mem = r.get(R + ("memory", "limit"), int)
    quota = r.get(R + ("cpu", "quota"), int)
    period = r.get(R + ("cpu", "period"), int)
    pids = r.get(R + ("pids", "limit"), int)
    resources = {"memoryLimit": mem if mem is not None and mem >= 0 else None,
                 "cpuQuota": quota if quota is not None and quota >= 0 else None,
                 "cpuPeriod": period,
                 "pidsLimit": pids if pids is not None and pids > 0 else None}
    for k, p in (("memoryLimit", ("memory", "limit")), ("cpuQuota", ("cpu", "quota")),
                 ("cpuPeriod", ("cpu", "period")), ("pidsLimit", ("pids", "limit"))):
        origin[("resources", k)] = R + p

    r.fields(("vm",), _VM, "`vm`")
    r.fields(("vm", "hypervisor"), {"path", "parameters"}, "`vm.hypervisor`")
    hypervisor = r.get(("vm", "hypervisor", "path"), str) or None
    origin[("hypervisor",)] = ("vm", "hypervisor", "path")

    privileged = (BASE_CAPABILITIES <= set(caps["bounding"])
                  and BASE_CAPABILITIES <= set(caps["effective"])
                  and seccomp is None and (apparmor in (None, "unconfined")) and not masked)
    origin[("privileged",)] = P + ("capabilities",)

    for k in ("user", "noNewPrivileges", "apparmorProfile", "selinuxLabel", "terminal", "args"):
        origin[("process", k)] = P + (k,)
    origin[("root", "readonly")] = ("root", "readonly")
    origin[("namespaces",)] = L + ("namespaces",)
    origin[("hostNamespaces",)] = L + ("namespaces",)

    value = {"name": name, "process": process, "root": root, "privileged": privileged,
             "namespaces": namespaces, "hostNamespaces": host_ns, "maskedPaths": masked,
             "readonlyPaths": readonly, "mounts": mounts, "hostMounts": host_mounts,
             "seccomp": seccomp, "hypervisor": hypervisor, "resources": resources,
             "runtime": _runtime(annotations, hypervisor)}
    return Artifact("oci", file, name, value, doc.positions, origin, r.diags)


def _strings(r: Reader, path: tuple, origin: dict, vpath: tuple) -> list[str]:
    out = []
    for i, s in r.items(path, str):
        origin[vpath + (len(out),)] = path + (i,)
        out.append(s)
    origin[vpath] = path
    return out


__all__ = ["import_oci", "CAPABILITIES", "BASE_CAPABILITIES", "normalise_capability",
           "NAMESPACES", "SECCOMP_ACTIONS"]


def _runtime(annotations: dict, hypervisor) -> str | None:
    """The runtime a bundle is for, when its annotations or `vm` section say so: "GVisor"
    (runsc writes `dev.gvisor.*` annotations; CRI passes the handler name), "Kata" or
    "Firecracker" (a hypervisor), else None (a runc-class runtime)."""
    keys = [str(k) for k in annotations]
    handler = " ".join(str(v) for k, v in annotations.items()
                       if str(k).endswith("runtime-handler") or str(k).endswith("runtimeClassName"))
    if any(k.startswith("dev.gvisor.") for k in keys) or "runsc" in handler or "gvisor" in handler:
        return "GVisor"
    if hypervisor:
        return "Firecracker" if "firecracker" in str(hypervisor) else "Kata"
    if "kata" in handler:
        return "Kata"
    return None
