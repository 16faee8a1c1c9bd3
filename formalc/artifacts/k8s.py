"""Kubernetes workloads → :class:`~formalc.artifacts.Artifact` values of kind ``"pod"``.

One artifact per Pod, Deployment, DaemonSet, StatefulSet, ReplicaSet, ReplicationController,
Job and CronJob (its pod template: ``spec.template``, for a CronJob
``spec.jobTemplate.spec.template``), also inside a ``kind: List`` (``kubectl get -o yaml``).
Other kinds (Service, ConfigMap, …) are skipped with an FC608 note. The normalised ``value``::

    {"name", "kind", "namespace", "runtimeClassName", "hostNetwork", "hostPID", "hostIPC",
     "hostUsers", "volumes": [{"name", "hostPath", "type"}], "sysctls": [{"name", "value"}],
     "containers": [{"name", "image", "init", "privileged", "allowPrivilegeEscalation",
                     "runAsNonRoot", "runAsUser", "readOnlyRootFilesystem", "capabilitiesAdd",
                     "capabilitiesDrop", "seccompProfile", "appArmorProfile", "seLinuxType",
                     "procMount", "hostPorts", "resources": {"cpuLimit", "memoryLimit",
                     "cpuRequest", "memoryRequest"}, "volumeMounts": [str]}]}

Rules, as the API server and the kubelet apply them:

- ``containers`` lists the regular containers first, then init containers, then ephemeral
  ones (``init`` is true for both of the latter).
- A container inherits ``runAsNonRoot``, ``runAsUser``, ``seccompProfile``, ``appArmorProfile``
  and ``seLinuxOptions.type`` from the pod's ``securityContext`` where it sets none. The
  profiles are taken, in order, from the container's field, the container's legacy annotation
  (``container.apparmor.security.beta.kubernetes.io/<name>``,
  ``container.seccomp.security.alpha.kubernetes.io/<name>``), the pod's field, the pod's legacy
  seccomp annotation. ``origin`` names the field actually used.
- Capabilities become ``CAP_…`` upper case; ``add: [ALL]`` grants every capability (as
  containerd and CRI-O do) and is expanded; ``drop`` keeps ``ALL``.
- Quantities are exact: CPU in millicores, memory in bytes, rounded up like the API server.
  A missing request defaults to the limit (the API server's defaulting).
- With ``hostNetwork``, a port without ``hostPort`` is published on the host at its
  ``containerPort`` (the API server's defaulting), so it is listed in ``hostPorts``.
- A volume with no source is an ``emptyDir`` (defaulting again).
"""
from __future__ import annotations

import math
import re
from fractions import Fraction

from . import Artifact
from ..diagnostics import Diagnostic, Severity, suggest
from .oci import CAPABILITIES, capability_diagnostic, normalise_capability
from .positions import Document, Reader, path_text

#: Workload kinds and the path of their pod template below the object.
TEMPLATES = {
    "Pod": (), "Deployment": ("spec", "template"), "DaemonSet": ("spec", "template"),
    "StatefulSet": ("spec", "template"), "ReplicaSet": ("spec", "template"),
    "ReplicationController": ("spec", "template"), "Job": ("spec", "template"),
    "CronJob": ("spec", "jobTemplate", "spec", "template"),
}
PROFILE_TYPES = ("RuntimeDefault", "Localhost", "Unconfined")
PROC_MOUNTS = ("Default", "Unmasked")
APPARMOR_ANNOTATION = "container.apparmor.security.beta.kubernetes.io/"
SECCOMP_ANNOTATION = "container.seccomp.security.alpha.kubernetes.io/"
SECCOMP_POD_ANNOTATION = "seccomp.security.alpha.kubernetes.io/pod"

_TOP = {"apiVersion", "kind", "metadata", "spec", "status"}
_METADATA = {"name", "generateName", "namespace", "labels", "annotations", "uid",
             "resourceVersion", "generation", "creationTimestamp", "deletionTimestamp",
             "deletionGracePeriodSeconds", "ownerReferences", "finalizers", "managedFields",
             "selfLink"}
_WORKLOAD_SPEC = {
    "Deployment": {"replicas", "selector", "template", "strategy", "minReadySeconds",
                   "revisionHistoryLimit", "paused", "progressDeadlineSeconds"},
    "DaemonSet": {"selector", "template", "updateStrategy", "minReadySeconds",
                  "revisionHistoryLimit"},
    "StatefulSet": {"replicas", "selector", "template", "serviceName", "podManagementPolicy",
                    "updateStrategy", "revisionHistoryLimit", "volumeClaimTemplates",
                    "minReadySeconds", "persistentVolumeClaimRetentionPolicy", "ordinals"},
    "ReplicaSet": {"replicas", "selector", "template", "minReadySeconds"},
    "ReplicationController": {"replicas", "selector", "template", "minReadySeconds"},
    "Job": {"activeDeadlineSeconds", "backoffLimit", "backoffLimitPerIndex", "completionMode",
            "completions", "manualSelector", "maxFailedIndexes", "parallelism",
            "podFailurePolicy", "podReplacementPolicy", "selector", "successPolicy", "suspend",
            "template", "ttlSecondsAfterFinished", "managedBy"},
    "CronJob": {"schedule", "timeZone", "startingDeadlineSeconds", "concurrencyPolicy",
                "suspend", "jobTemplate", "successfulJobsHistoryLimit",
                "failedJobsHistoryLimit"},
}
_POD_SPEC = {"activeDeadlineSeconds", "affinity", "automountServiceAccountToken", "containers",
             "dnsConfig", "dnsPolicy", "enableServiceLinks", "ephemeralContainers",
             "hostAliases", "hostIPC", "hostNetwork", "hostPID", "hostUsers", "hostname",
             "hostnameOverride", "imagePullSecrets", "initContainers", "nodeName",
             "nodeSelector", "os", "overhead", "preemptionPolicy", "priority",
             "priorityClassName", "readinessGates", "resourceClaims", "resources",
             "restartPolicy", "runtimeClassName", "schedulerName", "schedulingGates",
             "securityContext", "serviceAccount", "serviceAccountName", "setHostnameAsFQDN",
             "shareProcessNamespace", "subdomain", "terminationGracePeriodSeconds",
             "tolerations", "topologySpreadConstraints", "volumes"}
_POD_SC = {"appArmorProfile", "fsGroup", "fsGroupChangePolicy", "runAsGroup", "runAsNonRoot",
           "runAsUser", "seLinuxChangePolicy", "seLinuxOptions", "seccompProfile",
           "supplementalGroups", "supplementalGroupsPolicy", "sysctls", "windowsOptions"}
_CONTAINER = {"args", "command", "env", "envFrom", "image", "imagePullPolicy", "lifecycle",
              "livenessProbe", "name", "ports", "readinessProbe", "resizePolicy", "resources",
              "restartPolicy", "restartPolicyRules", "securityContext", "startupProbe", "stdin",
              "stdinOnce", "terminationMessagePath", "terminationMessagePolicy", "tty",
              "volumeDevices", "volumeMounts", "workingDir"}
_SC = {"allowPrivilegeEscalation", "appArmorProfile", "capabilities", "privileged",
       "procMount", "readOnlyRootFilesystem", "runAsGroup", "runAsNonRoot", "runAsUser",
       "seLinuxOptions", "seccompProfile", "windowsOptions"}
_PORT = {"containerPort", "hostIP", "hostPort", "name", "protocol"}
_MOUNT = {"mountPath", "mountPropagation", "name", "readOnly", "recursiveReadOnly", "subPath",
          "subPathExpr"}
_SELINUX = {"level", "role", "type", "user"}
_PROFILE = {"type", "localhostProfile"}
VOLUME_SOURCES = (
    "hostPath", "emptyDir", "configMap", "secret", "persistentVolumeClaim", "projected",
    "downwardAPI", "csi", "ephemeral", "nfs", "iscsi", "image", "awsElasticBlockStore",
    "azureDisk", "azureFile", "cephfs", "cinder", "fc", "flexVolume", "flocker",
    "gcePersistentDisk", "gitRepo", "glusterfs", "photonPersistentDisk", "portworxVolume",
    "quobyte", "rbd", "scaleIO", "storageos", "vsphereVolume")

# ------------------------------------------------------------------------------- quantities
_QUANTITY = re.compile(r"([+-]?)([0-9]+(?:\.[0-9]*)?|\.[0-9]+)"
                       r"(Ki|Mi|Gi|Ti|Pi|Ei|[eE][+-]?[0-9]+|[numkMGTPE]?)")
_SUFFIX = {"": 1, "n": Fraction(1, 10**9), "u": Fraction(1, 10**6), "m": Fraction(1, 1000),
           "k": 10**3, "M": 10**6, "G": 10**9, "T": 10**12, "P": 10**15, "E": 10**18,
           "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}


def parse_quantity(text: str | int | float) -> Fraction | None:
    """A Kubernetes quantity as an exact number, or None when it is not one.

    >>> parse_quantity("500m"), parse_quantity("256Mi"), parse_quantity("1e3"), parse_quantity("1E")
    (Fraction(1, 2), Fraction(268435456, 1), Fraction(1000, 1), Fraction(1000000000000000000, 1))
    """
    if isinstance(text, bool):
        return None
    if isinstance(text, int):
        return Fraction(text)
    if isinstance(text, float):
        return Fraction(repr(text)) if math.isfinite(text) else None
    m = _QUANTITY.fullmatch(text.strip()) if isinstance(text, str) else None
    if not m:
        return None
    sign, number, suffix = m.groups()
    value = Fraction(number)
    if suffix[:1] in ("e", "E") and len(suffix) > 1:
        exp = int(suffix[1:])
        if abs(exp) > 40:
            return None
        value *= Fraction(10) ** exp
    else:
        value *= _SUFFIX[suffix]
    return -value if sign == "-" else value


def _quantity(r: Reader, path: tuple, scale: int) -> int | None:
    raw = r.get(path, (str, float))
    if raw is None:
        return None
    q = parse_quantity(raw)
    if q is None or q < 0:
        r.error("FC609", f"`{path_text(path)}` is not a Kubernetes quantity: {raw!r}", path,
                hint="write e.g. 500m or 1 (CPU), 256Mi or 1G (memory)")
        return None
    return math.ceil(q * scale)


# --------------------------------------------------------------------------------- workloads
def import_k8s(doc: Document, file: str) -> tuple[list[Artifact], list[Diagnostic]]:
    """The workloads of one document (several for a ``List``); file-level notes besides."""
    arts: list[Artifact] = []
    diags: list[Diagnostic] = []
    r = Reader(doc)
    kind = r.get(("kind",), str)
    if isinstance(kind, str) and kind.endswith("List") and isinstance(doc.value.get("items"), list):
        for i, _ in r.items(("items",), dict):
            _object(doc, file, ("items", i), arts, diags)
        diags.extend(r.diags)
        return arts, diags
    _object(doc, file, (), arts, diags)
    return arts, diags


def _object(doc: Document, file: str, base: tuple, arts: list, diags: list) -> None:
    r = Reader(doc)
    kind = r.require(base + ("kind",), str, "a Kubernetes object")
    if kind is None:
        diags.extend(r.diags)
        return
    name = r.get(base + ("metadata", "name"), str)
    if kind not in TEMPLATES:
        label = f"`{kind}`" + (f" `{name}`" if name else "")
        hint = suggest(kind, TEMPLATES)
        diags.extend(r.diags)
        diags.append(Diagnostic("FC608", f"{label} is not a workload; skipped",
                                doc.span(base + ("kind",)), hint=hint,
                                severity=Severity.WARNING if hint else Severity.NOTE))
        return
    r.fields(base, _TOP, f"a {kind}")
    r.require(base + ("apiVersion",), str, f"a {kind}")
    r.fields(base + ("metadata",), _METADATA, "`metadata`")
    if name is None:
        r.require(base + ("metadata", "name"), str, f"a {kind}")
    if kind != "Pod":
        r.fields(base + ("spec",), _WORKLOAD_SPEC[kind], f"the spec of a {kind}")
    if kind == "CronJob":
        r.fields(base + ("spec", "jobTemplate"), {"metadata", "spec"}, "`jobTemplate`")
        r.fields(base + ("spec", "jobTemplate", "spec"), _WORKLOAD_SPEC["Job"], "a Job spec")
    tpl = base + TEMPLATES[kind]
    if kind != "Pod":
        r.fields(tpl, {"metadata", "spec"}, "a pod template")
    pod = tpl + ("spec",)
    if not r.has(pod):
        r.require(pod, dict, f"a {kind}")
        diags.extend(r.diags)
        return
    meta = tpl + ("metadata",)
    if kind != "Pod":
        r.fields(meta, _METADATA, "the pod template's `metadata`")
    art = _pod(r, doc, file, kind, name or f"{kind.lower()}-{doc.index + 1}", base, pod, meta)
    arts.append(art)
    diags.extend(art.diagnostics)


def _pod(r: Reader, doc: Document, file: str, kind: str, name: str, base: tuple, pod: tuple,
         meta: tuple) -> Artifact:
    origin: dict = {("name",): base + ("metadata", "name"), ("kind",): base + ("kind",),
                    ("namespace",): base + ("metadata", "namespace")}
    r.fields(pod, _POD_SPEC, "a pod spec")
    sc = pod + ("securityContext",)
    r.fields(sc, _POD_SC, "the pod's `securityContext`")
    value: dict = {"name": name, "kind": kind,
                   "namespace": r.get(base + ("metadata", "namespace"), str)}
    for key, typ, default in (("runtimeClassName", str, None), ("hostNetwork", bool, False),
                              ("hostPID", bool, False), ("hostIPC", bool, False),
                              ("hostUsers", bool, None)):
        value[key] = r.get(pod + (key,), typ, default)
        origin[(key,)] = pod + (key,)

    volumes = []
    for i, _ in r.items(pod + ("volumes",), dict):
        vp = pod + ("volumes", i)
        r.fields(vp, ("name",) + VOLUME_SOURCES, "a volume")
        vname = r.require(vp + ("name",), str, "a volume")
        v = r.raw(vp)
        vtype = next((k for k in v if k in VOLUME_SOURCES), "emptyDir")
        host_path = None
        if vtype == "hostPath":
            r.fields(vp + ("hostPath",), {"path", "type"}, "`hostPath`")
            host_path = r.require(vp + ("hostPath", "path"), str, "`hostPath`")
        origin[("volumes", len(volumes))] = vp
        origin[("volumes", len(volumes), "hostPath")] = vp + ("hostPath", "path")
        volumes.append({"name": vname, "hostPath": host_path, "type": vtype})
    value["volumes"] = volumes

    sysctls = []
    for i, _ in r.items(sc + ("sysctls",), dict):
        sp = sc + ("sysctls", i)
        r.fields(sp, {"name", "value"}, "a sysctl")
        sname = r.require(sp + ("name",), str, "a sysctl")
        svalue = r.get(sp + ("value",), (str, float))
        if sname is not None:
            origin[("sysctls", len(sysctls))] = sp
            sysctls.append({"name": sname, "value": "" if svalue is None else str(svalue)})
    value["sysctls"] = sysctls

    annotations = r.get(meta + ("annotations",), dict, {})
    containers = []
    if not r.has(pod + ("containers",)):
        r.require(pod + ("containers",), list, "a pod spec")
    for field, init in (("containers", False), ("initContainers", True),
                        ("ephemeralContainers", True)):
        for i, _ in r.items(pod + (field,), dict):
            k = len(containers)
            containers.append(_container(r, pod + (field, i), init, value["hostNetwork"], sc,
                                         annotations, meta, origin, ("containers", k)))
    value["containers"] = containers
    # pod-level fields are read once per container: report each problem once
    diags = list(dict.fromkeys(r.diags))
    r.diags.clear()
    return Artifact("pod", file, name, value, doc.positions, origin, diags)


def _container(r: Reader, cp: tuple, init: bool, host_network: bool, pod_sc: tuple,
               annotations: dict, meta: tuple, origin: dict, vp: tuple) -> dict:
    known = _CONTAINER | ({"targetContainerName"} if cp[-2] == "ephemeralContainers" else set())
    r.fields(cp, known, "a container")
    sc = cp + ("securityContext",)
    r.fields(sc, _SC, "a container's `securityContext`")
    name = r.require(cp + ("name",), str, "a container") or ""
    if cp[-2] != "ephemeralContainers" and not r.has(cp + ("image",)):
        r.require(cp + ("image",), str, "a container")
    c: dict = {"name": name, "image": r.get(cp + ("image",), str), "init": init}
    origin[vp] = cp
    origin[vp + ("name",)] = cp + ("name",)
    origin[vp + ("image",)] = cp + ("image",)

    def own(key: str, path: tuple, typ, default=None):
        c[key] = r.get(sc + path, typ, default)
        origin[vp + (key,)] = sc + path

    own("privileged", ("privileged",), bool, False)
    own("allowPrivilegeEscalation", ("allowPrivilegeEscalation",), bool)

    def inherited(key: str, path: tuple, typ):
        for where in (sc, pod_sc):
            v = r.get(where + path, typ)
            if v is not None:
                c[key] = v
                origin[vp + (key,)] = where + path
                return
        c[key] = None
        origin[vp + (key,)] = sc + path

    inherited("runAsNonRoot", ("runAsNonRoot",), bool)
    inherited("runAsUser", ("runAsUser",), int)
    own("readOnlyRootFilesystem", ("readOnlyRootFilesystem",), bool, False)

    r.fields(sc + ("capabilities",), {"add", "drop"}, "`capabilities`")
    for key, field in (("capabilitiesAdd", "add"), ("capabilitiesDrop", "drop")):
        caps: list[str] = []
        for i, raw in r.items(sc + ("capabilities", field), str):
            cap = normalise_capability(raw, allow_all=True)
            if cap is None:
                capability_diagnostic(r, raw, sc + ("capabilities", field, i))
                continue
            expanded = CAPABILITIES if cap == "ALL" and field == "add" else (cap,)
            for one in expanded:
                if one not in caps:
                    origin[vp + (key, len(caps))] = sc + ("capabilities", field, i)
                    caps.append(one)
        c[key] = caps
        origin[vp + (key,)] = sc + ("capabilities", field)

    for key, field, legacy in (("seccompProfile", "seccompProfile", SECCOMP_ANNOTATION),
                               ("appArmorProfile", "appArmorProfile", APPARMOR_ANNOTATION)):
        for where in (sc, pod_sc):
            r.fields(where + (field,), _PROFILE, f"`{field}`")
        candidates = [(sc + (field, "type"), None), (meta + ("annotations", legacy + name), legacy),
                      (pod_sc + (field, "type"), None)]
        if key == "seccompProfile":
            candidates.append((meta + ("annotations", SECCOMP_POD_ANNOTATION), legacy))
        c[key] = None
        origin[vp + (key,)] = sc + (field, "type")
        for path, is_annotation in candidates:
            if is_annotation:
                raw = annotations.get(path[-1])
                profile = _annotation_profile(r, path, raw) if isinstance(raw, str) else None
            else:
                profile = r.get(path, str)
                if profile is not None and profile not in PROFILE_TYPES:
                    r.error("FC609", f"`{path_text(path)}` must be one of "
                            f"{', '.join(PROFILE_TYPES)}, not `{profile}`", path,
                            hint=suggest(profile, PROFILE_TYPES))
                    profile = None
            if profile is not None:
                c[key] = profile
                origin[vp + (key,)] = path
                break

    r.fields(sc + ("seLinuxOptions",), _SELINUX, "`seLinuxOptions`")
    r.fields(pod_sc + ("seLinuxOptions",), _SELINUX, "`seLinuxOptions`")
    inherited("seLinuxType", ("seLinuxOptions", "type"), str)
    # PSS baseline forbids setting an SELinux user or role, and Windows HostProcess, at
    # either level: a pod-level value counts even where the container sets its own
    c["seLinuxUserOrRole"] = False
    origin[vp + ("seLinuxUserOrRole",)] = sc + ("seLinuxOptions",)
    for where in (sc, pod_sc):
        for part in ("user", "role"):
            if r.get(where + ("seLinuxOptions", part), str):
                c["seLinuxUserOrRole"] = True
                origin[vp + ("seLinuxUserOrRole",)] = where + ("seLinuxOptions", part)
                break
        if c["seLinuxUserOrRole"]:
            break
    c["hostProcess"] = False
    origin[vp + ("hostProcess",)] = sc + ("windowsOptions", "hostProcess")
    for where in (sc, pod_sc):
        if r.get(where + ("windowsOptions", "hostProcess"), bool):
            c["hostProcess"] = True
            origin[vp + ("hostProcess",)] = where + ("windowsOptions", "hostProcess")
            break

    proc = r.get(sc + ("procMount",), str)
    if proc is not None and proc not in PROC_MOUNTS:
        r.error("FC609", f"`procMount` must be Default or Unmasked, not `{proc}`",
                sc + ("procMount",), hint=suggest(proc, PROC_MOUNTS))
        proc = None
    c["procMount"] = proc
    origin[vp + ("procMount",)] = sc + ("procMount",)

    ports = []
    for i, _ in r.items(cp + ("ports",), dict):
        pp = cp + ("ports", i)
        r.fields(pp, _PORT, "a container port")
        host = r.get(pp + ("hostPort",), int)
        cport = r.require(pp + ("containerPort",), int, "a container port")
        if host:
            origin[vp + ("hostPorts", len(ports))] = pp + ("hostPort",)
            ports.append(host)
        elif host_network and cport:
            origin[vp + ("hostPorts", len(ports))] = pp + ("containerPort",)
            ports.append(cport)
    c["hostPorts"] = ports
    origin[vp + ("hostPorts",)] = cp + ("ports",)

    rp = cp + ("resources",)
    r.fields(rp, {"limits", "requests", "claims"}, "`resources`")
    res = {}
    for key, part, resource, scale in (("cpuLimit", "limits", "cpu", 1000),
                                       ("memoryLimit", "limits", "memory", 1),
                                       ("cpuRequest", "requests", "cpu", 1000),
                                       ("memoryRequest", "requests", "memory", 1)):
        res[key] = _quantity(r, rp + (part, resource), scale)
        origin[vp + ("resources", key)] = rp + (part, resource)
    for req, lim in (("cpuRequest", "cpuLimit"), ("memoryRequest", "memoryLimit")):
        if res[req] is None and res[lim] is not None and not r.has(origin[vp + ("resources", req)]):
            res[req] = res[lim]
            origin[vp + ("resources", req)] = origin[vp + ("resources", lim)]
    c["resources"] = res

    mounts = []
    for i, _ in r.items(cp + ("volumeMounts",), dict):
        mp = cp + ("volumeMounts", i)
        r.fields(mp, _MOUNT, "a volume mount")
        mname = r.require(mp + ("name",), str, "a volume mount")
        r.require(mp + ("mountPath",), str, "a volume mount")
        if mname is not None:
            origin[vp + ("volumeMounts", len(mounts))] = mp
            mounts.append(mname)
    c["volumeMounts"] = mounts
    return c


def _annotation_profile(r: Reader, path: tuple, raw: str) -> str | None:
    v = raw.strip()
    if v in ("runtime/default", "docker/default"):
        return "RuntimeDefault"
    if v == "unconfined":
        return "Unconfined"
    if v.startswith("localhost/"):
        return "Localhost"
    r.error("FC609", f"annotation `{path[-1]}` has the unknown value `{raw}`", path,
            hint="one of runtime/default, localhost/<profile>, unconfined")
    return None
