"""From imported artifacts to values of the bundled security specs' record types.

`specs/pss.iot` declares ``Pod`` and ``PodC`` (the fields the Pod Security Standards read) and
`specs/threats.iot` declares ``OciConfig`` (the fields the threat model reads). A view turns
an :class:`~formalc.artifacts.Artifact` into such a record value and remembers, for every
field of the record, the path of the artifact's value it was derived from, so a finding can
point at the line of the YAML or JSON that made a predicate false.
"""
from __future__ import annotations

from ..machines.evaluate import Record

#: Volume types the restricted standard allows (Pod Security Standards, "Volume Types").
RESTRICTED_VOLUMES = {"configMap", "csi", "downwardAPI", "emptyDir", "ephemeral",
                      "persistentVolumeClaim", "projected", "secret"}

#: Sysctls the baseline standard allows (Pod Security Standards, "Sysctls"; the last ones
#: since v1.27 and v1.29).
SAFE_SYSCTLS = {"kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range",
                "net.ipv4.ip_unprivileged_port_start", "net.ipv4.tcp_syncookies",
                "net.ipv4.ping_group_range", "net.ipv4.ip_local_reserved_ports",
                "net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout",
                "net.ipv4.tcp_keepalive_intvl", "net.ipv4.tcp_keepalive_probes"}

#: Host paths whose bind mount gives a container the host (threat model, ContainerEscape).
DANGEROUS_HOST_PATHS = ("/proc", "/sys", "/dev", "/etc", "/boot", "/root", "/var/run/docker.sock",
                        "/var/lib/docker",
                        "/run/docker.sock", "/run/containerd", "/var/run/containerd",
                        "/var/lib/kubelet", "/lib/modules")

#: The /proc entries `runc spec` masks that give away the host kernel (its memory, keys).
SENSITIVE_PROC = {"/proc/kcore", "/proc/keys"}


def _dangerous_mount(source: str) -> bool:
    """A host path that is, holds or lies inside one of :data:`DANGEROUS_HOST_PATHS`
    (`/var/run` holds the Docker socket; `/proc/1` lies inside `/proc`)."""
    s = "/" + source.strip("/")
    for d in DANGEROUS_HOST_PATHS:
        d = "/" + d.strip("/")
        if s == d or d == "/" or s.startswith(d + "/") or d.startswith(s.rstrip("/") + "/"):
            return True
    return False


_KINDS = {None: "Unset", "RuntimeDefault": "RuntimeDefault", "Localhost": "Localhost",
          "Unconfined": "Unconfined"}
_SELINUX = {"container_t", "container_init_t", "container_kvm_t", "container_engine_t"}


class View:
    """A record value for a spec type, and where each of its fields came from."""

    def __init__(self, type_name: str, value: Record, origin: dict, members: dict,
                 document: dict | None = None):
        self.type_name, self.value, self.origin = type_name, value, origin
        self.members = members  # id(nested record) -> its path in the view
        # where a field would be written in the document when the artifact lacks it
        self.document = document or {}

    def source(self, path: tuple) -> tuple:
        """The artifact-value path behind a view path (falling back to enclosing paths)."""
        p = tuple(path)
        while p:
            if p in self.origin:
                return self.origin[p]
            p = p[:-1]
        return ()


def _cap(name: str) -> str:
    n = str(name).upper()
    return n[4:] if n.startswith("CAP_") else n


def pod_view(value: dict) -> View:
    """``Pod`` of specs/pss.iot from an artifact of kind "pod"."""
    origin: dict = {}
    containers = []
    members: dict = {}
    for i, c in enumerate(value.get("containers", [])):
        sec = c.get("seccompProfile")
        app = c.get("appArmorProfile")
        se = c.get("seLinuxType")
        rec = Record(
            name=str(c.get("name", f"container-{i}")),
            privileged=bool(c.get("privileged")),
            allowPrivilegeEscalation=c.get("allowPrivilegeEscalation") is not False,
            runAsNonRoot=bool(c.get("runAsNonRoot")),
            runAsUser=c["runAsUser"] if isinstance(c.get("runAsUser"), int) else -1,
            readOnlyRootFilesystem=bool(c.get("readOnlyRootFilesystem")),
            capabilitiesAdd=frozenset(_cap(x) for x in c.get("capabilitiesAdd", [])),
            dropsAll=any(_cap(x) == "ALL" for x in c.get("capabilitiesDrop", [])),
            seccompProfile="Seccomp" + _KINDS.get(sec, "Unset"),
            appArmorProfile="AppArmor" + _KINDS.get(app, "Unset"),
            seLinuxType=(se if se in _SELINUX else "SELinuxUnset" if not se else "SELinuxOtherType"),
            seLinuxUserOrRole=bool(c.get("seLinuxUserOrRole")),
            procMount="ProcUnmasked" if c.get("procMount") == "Unmasked" else "ProcDefault",
            hostPorts=bool(c.get("hostPorts")),
            hostProcess=bool(c.get("hostProcess")),
        )
        containers.append(rec)
        members[id(rec)] = ("containers", i)
        for f in rec:
            src = {"dropsAll": "capabilitiesDrop"}.get(f, f)
            origin[("containers", i, f)] = ("containers", i, src)
        origin[("containers", i)] = ("containers", i)
    vols = value.get("volumes", [])
    sysctls = value.get("sysctls", [])
    host_vol = next((j for j, v in enumerate(vols) if v.get("hostPath")), None)
    bad_vol = next((j for j, v in enumerate(vols) if v.get("type") not in RESTRICTED_VOLUMES), None)
    bad_sysctl = next((j for j, s in enumerate(sysctls) if s.get("name") not in SAFE_SYSCTLS), None)
    pod = Record(
        name=f"{value.get('kind', 'Pod')}/{value.get('name', '?')}",
        hostNetwork=bool(value.get("hostNetwork")), hostPID=bool(value.get("hostPID")),
        hostIPC=bool(value.get("hostIPC")),
        hostPathVolumes=host_vol is not None,
        volumeTypesRestricted=bad_vol is None,
        unsafeSysctls=bad_sysctl is not None,
        containers=frozenset(containers),
    )
    for f in ("name", "hostNetwork", "hostPID", "hostIPC"):
        origin[(f,)] = (f,)
    origin[("hostPathVolumes",)] = ("volumes", host_vol) if host_vol is not None else ("volumes",)
    origin[("volumeTypesRestricted",)] = ("volumes", bad_vol) if bad_vol is not None else ("volumes",)
    origin[("unsafeSysctls",)] = ("sysctls", bad_sysctl) if bad_sysctl is not None else ("sysctls",)
    return View("Pod", pod, origin, members)


def _condition_holds(cond, env) -> bool:
    """Whether a seccomp reachability condition holds in a concrete environment."""
    caps = env.caps
    if any(c not in caps for c in cond.caps_held) or any(c in caps for c in cond.caps_absent):
        return False
    if cond.arches is not None and env.arch not in cond.arches:
        return False
    if env.arch in cond.except_arches:
        return False
    if cond.min_kernel and tuple(env.kernel) < tuple(cond.min_kernel):
        return False
    if cond.below_kernel and tuple(env.kernel) >= tuple(cond.below_kernel):
        return False
    return True


def dangerous_calls_allowed(seccomp_artifact, caps_effective, calls, arch="amd64",
                            kernel=(6, 1, 0)) -> frozenset:
    """The calls of ``calls`` that some argument values get through the profile, for a
    process with ``caps_effective`` (CAP_ names) on ``arch`` and ``kernel``."""
    from ..artifacts.seccomp import profile_of
    from ..policy.seccomp import Environment, analyse
    report = analyse(profile_of(seccomp_artifact), syscalls=tuple(calls))
    env = Environment(arch=arch, kernel=kernel,
                      caps=frozenset("CAP_" + _cap(c) for c in caps_effective))
    out = set()
    for name in calls:
        r = report.reachability_of(name)
        # an undecided call counts as reachable: the audit never assumes a block it did not prove
        if r is None or r.status in ("always", "unknown") or \
                any(_condition_holds(c, env) for c in r.when_allowed):
            out.add(name)
    return frozenset(out)


def oci_view(value: dict, calls: tuple[str, ...], seccomp=None, runtime: str | None = None) -> View:
    """``OciConfig`` of specs/threats.iot from an artifact of kind "oci". ``seccomp`` is the
    config's seccomp section imported as a profile (None: no filter); ``calls`` are the
    members of the spec's ``DangerousCall``."""
    runtime = runtime or value.get("runtime") or "Runc"
    proc = value.get("process", {})
    caps = proc.get("capabilities", {})
    ns = set(value.get("namespaces", []))
    host_ns = set(value.get("hostNamespaces", []))
    sec = value.get("seccomp")
    hyp = value.get("hypervisor")
    res = value.get("resources", {}) or {}
    effective = frozenset(_cap(c) for c in caps.get("effective", []))
    if sec is None or seccomp is None:
        allowed = frozenset(calls)
    else:
        allowed = dangerous_calls_allowed(seccomp, effective, calls)
    host_mounts = [str(m) for m in value.get("hostMounts", [])]
    rec = Record(
        name=str(value.get("name", "config")),
        uid=int(proc.get("user", {}).get("uid", 0)),
        noNewPrivileges=bool(proc.get("noNewPrivileges")),
        capsEffective=effective,
        capsPermitted=frozenset(_cap(c) for c in caps.get("permitted", [])),
        capsBounding=frozenset(_cap(c) for c in caps.get("bounding", [])),
        capsAmbient=frozenset(_cap(c) for c in caps.get("ambient", [])),
        capsInheritable=frozenset(_cap(c) for c in caps.get("inheritable", [])),
        apparmor=bool(proc.get("apparmorProfile")) and proc.get("apparmorProfile") != "unconfined",
        selinux=bool(proc.get("selinuxLabel")),
        seccomp=sec is not None,
        seccompDefaultAllows=sec is not None and sec.get("defaultAction") == "SCMP_ACT_ALLOW",
        privileged=bool(value.get("privileged")),
        userns="user" in ns,
        hostNetwork="network" in host_ns, hostPID="pid" in host_ns, hostIPC="ipc" in host_ns,
        maskedProc=SENSITIVE_PROC <= set(map(str, value.get("maskedPaths", []))),
        readonlyRoot=bool(value.get("root", {}).get("readonly")),
        dangerousHostMount=any(_dangerous_mount(m) for m in host_mounts),
        hypervisor=bool(hyp),
        kvm=bool(hyp),
        runtime=runtime if runtime != "Runc" or not hyp else
        ("Firecracker" if "firecracker" in str(hyp) else "Kata"),
        userKernel=runtime == "GVisor",
        memoryLimit=res.get("memoryLimit") is not None,
        cpuLimit=res.get("cpuQuota") is not None,
        pidsLimit=res.get("pidsLimit") is not None,
        dangerousSyscallsAllowed=allowed,
    )
    src = {"uid": ("process", "user", "uid"), "noNewPrivileges": ("process", "noNewPrivileges"),
           "capsEffective": ("process", "capabilities", "effective"),
           "capsPermitted": ("process", "capabilities", "permitted"),
           "capsBounding": ("process", "capabilities", "bounding"),
           "capsAmbient": ("process", "capabilities", "ambient"),
           "capsInheritable": ("process", "capabilities", "inheritable"),
           "apparmor": ("process", "apparmorProfile"), "selinux": ("process", "selinuxLabel"),
           "seccomp": ("seccomp",), "seccompDefaultAllows": ("seccomp", "defaultAction"),
           "dangerousSyscallsAllowed": ("seccomp",), "privileged": ("privileged",),
           "userKernel": ("runtime",), "runtime": ("runtime",),
           "userns": ("namespaces",), "hostNetwork": ("hostNamespaces",),
           "hostPID": ("hostNamespaces",), "hostIPC": ("hostNamespaces",),
           "maskedProc": ("maskedPaths",), "readonlyRoot": ("root", "readonly"),
           "dangerousHostMount": ("hostMounts",), "hypervisor": ("hypervisor",),
           "kvm": ("hypervisor",), "memoryLimit": ("resources", "memoryLimit"),
           "cpuLimit": ("resources", "cpuQuota"), "pidsLimit": ("resources", "pidsLimit")}
    origin = {(f,): p for f, p in src.items()}
    document = {("seccomp",): ("linux", "seccomp"), ("seccomp", "defaultAction"):
                ("linux", "seccomp", "defaultAction"), ("namespaces",): ("linux", "namespaces"),
                ("hostNamespaces",): ("linux", "namespaces"), ("maskedPaths",): ("linux", "maskedPaths"),
                ("hostMounts",): ("mounts",), ("runtime",): ("annotations",),
                ("privileged",): ("process", "capabilities")}
    return View("OciConfig", rec, origin, {}, document)
