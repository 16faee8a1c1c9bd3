"""Importers of real configuration files (formalc.artifacts): OCI runtime configs and
Kubernetes workloads, normalised values, positions and origins, every FC6xx diagnostic with its
line and column, and hostile input (garbage, binary, deep nesting, YAML bombs).

Samples live in tests/fixtures/artifacts/; runc/config.json is what `runc spec` (1.1) writes.
"""
from __future__ import annotations

import random
import subprocess
import sys
import time
import types
from pathlib import Path

import pytest

from formalc.artifacts import Artifact
from formalc.artifacts.k8s import parse_quantity
from formalc.artifacts.load import load_artifacts, load_text
from formalc.artifacts.oci import CAPABILITIES
from formalc.artifacts.positions import MAX_DEPTH, parse_text
from formalc.diagnostics import Diagnostic, Severity, Span, render

FIX = Path(__file__).resolve().parent / "fixtures" / "artifacts"


def load(name: str):
    return load_artifacts(FIX / name)


def only(diags, code):
    found = [d for d in diags if d.code == code]
    assert found, [(d.code, d.message) for d in diags]
    return found


def where(d: Diagnostic) -> tuple[int, int]:
    return d.span.line, d.span.column


def line_of(art: Artifact, path) -> int:
    return art.span(path).line


# ------------------------------------------------------------------------------------ OCI
def test_runc_spec_default_config():
    arts, diags = load("runc/config.json")
    assert diags == []
    (a,) = arts
    v = a.value
    assert (a.kind, a.name, v["name"]) == ("oci", "runc", "runc")  # the bundle folder's name
    default_caps = ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]
    assert v["process"] == {
        "user": {"uid": 0, "gid": 0}, "noNewPrivileges": True,
        "capabilities": {"bounding": default_caps, "effective": default_caps, "inheritable": [],
                         "permitted": default_caps, "ambient": default_caps},
        "apparmorProfile": None, "selinuxLabel": None, "terminal": True, "args": ["sh"]}
    assert v["root"] == {"readonly": True}
    assert v["privileged"] is False
    assert v["namespaces"] == ["pid", "network", "mount", "ipc", "uts", "cgroup"]
    assert v["hostNamespaces"] == ["user"]
    assert len(v["maskedPaths"]) == 10 and "/proc/kcore" in v["maskedPaths"]
    assert v["readonlyPaths"] == ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
                                  "/proc/sysrq-trigger"]
    assert [m["destination"] for m in v["mounts"]][:3] == ["/proc", "/dev", "/dev/pts"]
    assert v["mounts"][0] == {"destination": "/proc", "source": "proc", "type": "proc",
                              "options": []}
    assert v["hostMounts"] == [] and v["seccomp"] is None and v["hypervisor"] is None
    assert v["resources"] == {"memoryLimit": None, "cpuQuota": None, "cpuPeriod": None,
                              "pidsLimit": None}
    # positions: every value, 1-based; origins lead back to the field
    assert str(a.positions[("process", "noNewPrivileges")]).endswith("config.json:46:22")
    assert line_of(a, ("namespaces", 2)) == 151  # mount, the 5th entry of linux.namespaces
    assert line_of(a, ("process", "capabilities", "bounding", 1)) == 20


def test_full_oci_config():
    arts, diags = load("full-config.json")
    assert diags == []
    (a,) = arts
    v = a.value
    assert a.name == "sensor-gateway"  # from io.kubernetes.cri.container-name
    assert v["process"]["user"] == {"uid": 1000, "gid": 1000}
    assert v["process"]["apparmorProfile"] == "iot-gateway"
    assert v["process"]["selinuxLabel"].startswith("system_u:system_r:container_t")
    assert v["process"]["capabilities"]["bounding"] == ["CAP_NET_BIND_SERVICE", "CAP_CHOWN"]
    assert v["seccomp"] == {"defaultAction": "SCMP_ACT_ERRNO", "rules": 2}
    assert v["hypervisor"] == "/usr/bin/qemu-system-aarch64"
    assert v["resources"] == {"memoryLimit": 268435456, "cpuQuota": 50000, "cpuPeriod": 100000,
                              "pidsLimit": 128}
    # joining /proc/1/ns/net is the host's network
    assert v["namespaces"] == ["pid", "mount", "ipc", "uts", "user", "cgroup"]
    assert v["hostNamespaces"] == ["network"]
    assert line_of(a, ("hostNamespaces", 0)) == 31
    assert v["hostMounts"] == ["/srv/gateway/etc", "/var/lib/gateway"]
    assert v["mounts"][2]["type"] is None
    assert line_of(a, ("resources", "memoryLimit")) == 36
    assert line_of(a, ("seccomp", "rules")) == 44
    assert v["privileged"] is False


def test_privileged_rule():
    arts, diags = load("privileged-config.json")
    assert diags == []
    v = arts[0].value
    assert v["privileged"] is True and v["hostMounts"] == ["/"]
    assert arts[0].name == "privileged-config"
    text = (FIX / "privileged-config.json").read_text()
    confined = text.replace('"root": {', '"linux": {"seccomp": {"defaultAction": '
                            '"SCMP_ACT_ERRNO"}, "namespaces": []}, "root": {', 1)
    confined = confined.replace('"linux": {"namespaces": [{"type": "mount"}]}', '"hostname": "x"')
    arts, diags = load_text(confined, "p.json")
    assert diags == [] and arts[0].value["privileged"] is False
    assert arts[0].value["seccomp"] == {"defaultAction": "SCMP_ACT_ERRNO", "rules": 0}


def test_oci_diagnostics():
    text = """{
  "ociVersion": "1.0.2",
  "proces": {},
  "process": {"user": {"uid": "0"}, "capabilities": {"bounding": ["CAP_SYS_ADMN", "net_raw"]}},
  "root": {"path": "rootfs"},
  "linux": {"namespaces": [{"type": "net"}, {"path": "/x"}],
            "seccomp": {"defaultAction": "SCMP_ACT_DENY"}}
}"""
    arts, diags = load_text(text, "bad.json")
    (a,) = arts
    (w,) = only(diags, "FC603")
    assert w.severity is Severity.WARNING and where(w) == (3, 3) and "`process`" in w.hint
    (t,) = only(diags, "FC602")
    assert where(t) == (4, 31) and t.hint == "write 0 without quotes"
    (c,) = only(diags, "FC606")
    assert where(c) == (4, 67) and "CAP_SYS_ADMIN" in c.hint
    assert a.value["process"]["capabilities"]["bounding"] == ["CAP_NET_RAW"]
    ns, act = only(diags, "FC609")
    assert where(ns) == (6, 37) and "`network`" in ns.hint
    assert where(act) == (7, 42) and "SCMP_ACT_ERRNO" in act.hint
    (m,) = only(diags, "FC607")
    assert where(m) == (6, 45) and "type" in m.message
    assert a.value["process"]["user"] == {"uid": 0, "gid": 0}


# ----------------------------------------------------------------------------- Kubernetes
@pytest.fixture(scope="module")
def workloads():
    return load("workloads.yaml")


def test_multi_document_yaml(workloads):
    arts, diags = workloads
    assert [(a.kind, a.name, a.value["kind"]) for a in arts] == [
        ("pod", "telemetry", "Deployment"), ("pod", "node-agent", "DaemonSet"),
        ("pod", "nightly-backup", "CronJob")]
    (note,) = diags
    assert (note.code, note.severity, where(note)) == ("FC608", Severity.NOTE, (60, 7))
    assert "Service" in note.message and "skipped" in note.message


def test_deployment_inherits_pod_security_context(workloads):
    dep = workloads[0][0]
    v = dep.value
    assert (v["namespace"], v["runtimeClassName"]) == ("edge", "kata")
    assert (v["hostNetwork"], v["hostPID"], v["hostIPC"], v["hostUsers"]) == (False, False, False, None)
    api, sidecar, migrate = v["containers"]
    assert [c["name"] for c in v["containers"]] == ["api", "sidecar", "migrate"]
    assert [c["init"] for c in v["containers"]] == [False, False, True]
    # container value wins; its origin is the container's line
    assert api["runAsUser"] == 2000 and line_of(dep, ("containers", 0, "runAsUser")) == 37
    # inherited: the origin is the pod-level line
    assert sidecar["runAsUser"] == 1000 and line_of(dep, ("containers", 1, "runAsUser")) == 20
    assert migrate["runAsNonRoot"] is True and line_of(dep, ("containers", 2, "runAsNonRoot")) == 19
    assert api["seccompProfile"] == "RuntimeDefault"
    assert line_of(dep, ("containers", 0, "seccompProfile")) == 22
    assert sidecar["seccompProfile"] == "Unconfined"
    assert line_of(dep, ("containers", 1, "seccompProfile")) == 49
    assert [c["seLinuxType"] for c in v["containers"]] == ["spc_t"] * 3
    # the legacy AppArmor annotation names the container
    assert (api["appArmorProfile"], sidecar["appArmorProfile"]) == (None, "Localhost")
    assert dep.span(("containers", 1, "appArmorProfile")) == Span(
        dep.file, 15, 65, 15, 86, dep.span(("containers", 1, "appArmorProfile")).start_pos,
        dep.span(("containers", 1, "appArmorProfile")).end_pos)
    assert api["capabilitiesAdd"] == ["CAP_NET_BIND_SERVICE", "CAP_CHOWN"]
    assert api["capabilitiesDrop"] == ["ALL"]
    assert (api["allowPrivilegeEscalation"], api["readOnlyRootFilesystem"]) == (False, True)
    assert (sidecar["allowPrivilegeEscalation"], sidecar["privileged"]) == (None, False)
    assert api["resources"] == {"cpuLimit": 500, "memoryLimit": 256 * 2**20, "cpuRequest": 250,
                                "memoryRequest": 1000}
    # requests default to limits
    assert sidecar["resources"] == {"cpuLimit": 1000, "memoryLimit": 10**9,
                                    "cpuRequest": 1000, "memoryRequest": 10**9}
    assert line_of(dep, ("containers", 1, "resources", "cpuRequest")) == 51
    assert api["volumeMounts"] == ["cache"] and api["hostPorts"] == []
    assert v["volumes"] == [{"name": "cache", "hostPath": None, "type": "emptyDir"},
                            {"name": "logs", "hostPath": "/var/log/telemetry", "type": "hostPath"},
                            {"name": "blank", "hostPath": None, "type": "emptyDir"}]


def test_daemonset_host_access(workloads):
    ds = workloads[0][1]
    v = ds.value
    assert (v["hostNetwork"], v["hostPID"]) == (True, True)
    assert v["sysctls"] == [{"name": "net.core.somaxconn", "value": "1024"}]
    (agent,) = v["containers"]
    assert agent["privileged"] is True and agent["procMount"] == "Unmasked"
    assert agent["capabilitiesAdd"] == ["CAP_SYS_ADMIN", "CAP_NET_ADMIN"]
    # with hostNetwork a containerPort is a host port (API server defaulting)
    assert agent["hostPorts"] == [9100, 19101]
    assert line_of(ds, ("containers", 0, "hostPorts", 0)) == 91
    assert line_of(ds, ("containers", 0, "hostPorts", 1)) == 93
    assert v["volumes"] == [{"name": "root", "hostPath": "/", "type": "hostPath"}]
    assert line_of(ds, ("volumes", 0, "hostPath")) == 98


def test_cronjob_template_and_legacy_seccomp_annotation(workloads):
    cj = workloads[0][2]
    (backup,) = cj.value["containers"]
    assert cj.value["hostUsers"] is False
    assert backup["seccompProfile"] == "RuntimeDefault"
    assert line_of(cj, ("containers", 0, "seccompProfile")) == 112
    assert backup["resources"] == {"cpuLimit": None, "memoryLimit": None, "cpuRequest": 100,
                                   "memoryRequest": 64 * 2**20}


def test_pod_apparmor_field_inheritance():
    (pod,), diags = load("pod.yaml")
    assert diags == []
    capture, uploader = pod.value["containers"]
    assert (capture["appArmorProfile"], uploader["appArmorProfile"]) == ("Localhost", "RuntimeDefault")
    assert line_of(pod, ("containers", 0, "appArmorProfile")) == 16
    assert line_of(pod, ("containers", 1, "appArmorProfile")) == 10
    assert capture["runAsNonRoot"] is False and pod.value["hostIPC"] is True
    assert capture["seLinuxType"] == "container_t" and uploader["seLinuxType"] is None


def test_kind_list_and_add_all():
    text = """apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Pod
  metadata: {name: a}
  spec:
    containers:
    - name: c
      image: i
      securityContext: {capabilities: {add: [ALL], drop: [all, CAP_NET_RAW]}}
- apiVersion: batch/v1
  kind: Job
  metadata: {name: b}
  spec: {template: {spec: {containers: [{name: j, image: i}]}}}
"""
    arts, diags = load_text(text, "list.yaml")
    assert diags == [] and [a.name for a in arts] == ["a", "b"]
    c = arts[0].value["containers"][0]
    assert c["capabilitiesAdd"] == list(CAPABILITIES)
    assert c["capabilitiesDrop"] == ["ALL", "CAP_NET_RAW"]
    assert line_of(arts[1], ("containers", 0, "name")) == 15


@pytest.mark.parametrize("text, scale, expected", [
    ("500m", 1000, 500), ("1", 1000, 1000), ("0.1", 1000, 100), ("100u", 1000, 1),
    (2, 1000, 2000), (0.5, 1000, 500), ("256Mi", 1, 268435456), ("1G", 1, 10**9),
    ("1e3", 1, 1000), ("1E", 1, 10**18), ("1.5Gi", 1, 3 * 2**29), ("12e-1", 1, 2),
    ("+1k", 1, 1000), (".5", 1000, 500),
])
def test_quantities(text, scale, expected):
    import math
    assert math.ceil(parse_quantity(text) * scale) == expected


@pytest.mark.parametrize("text", ["2 cores", "1e", "Mi", "1Kb", "0x10", "", "1.2.3", float("inf")])
def test_not_quantities(text):
    assert parse_quantity(text) is None


def test_kubernetes_diagnostics():
    (pod,), diags = load("typos.yaml")
    (w,) = only(diags, "FC603")
    assert w.severity is Severity.WARNING and where(w) == (6, 3)
    assert w.hint.startswith("did you mean `hostNetwork`")
    (t,) = only(diags, "FC602")
    assert where(t) == (7, 12) and t.hint == "write true without quotes"
    (c,) = only(diags, "FC606")
    assert where(c) == (14, 17) and "CAP_NET_ADMIN" in c.hint
    profile, qty = only(diags, "FC609")
    assert where(profile) == (15, 32) and profile.hint == "did you mean `RuntimeDefault`?"
    assert where(qty) == (17, 23)
    assert pod.value["hostPID"] is False and pod.value["containers"][0]["privileged"] is True
    assert all(d in pod.diagnostics for d in diags)
    # rendering shows the line with carets
    shown = render(w, {pod.file: (FIX / "typos.yaml").read_text()})
    assert "hostNetwrok: true" in shown and "^" in shown


def test_missing_fields():
    text = "apiVersion: v1\nmetadata: {name: x}\n---\napiVersion: apps/v1\nkind: Deployment\n" \
           "metadata: {name: d}\nspec: {replicas: 1}\n---\napiVersion: v1\nkind: Pod\n" \
           "metadata: {name: p}\nspec:\n  containers:\n  - name: c\n"
    arts, diags = load_text(text, "m.yaml")
    kind, template, image = only(diags, "FC607")
    assert where(kind) == (1, 1) and "`kind`" in kind.message
    assert where(template) == (7, 7) and "spec.template.spec" in template.message
    assert where(image) == (14, 5) and "image" in image.message
    assert [a.name for a in arts] == ["p"]


def test_unknown_kind_and_unimportable():
    arts, diags = load_text("apiVersion: v1\nkind: Deploymnet\nmetadata: {name: x}\n", "k.yaml")
    (d,) = diags
    assert d.code == "FC608" and d.severity is Severity.WARNING and "Deployment" in d.hint
    arts, diags = load_text('{"services": {"web": {}}}', "compose.json")
    (d,) = diags
    assert (d.code, d.severity, where(d)) == ("FC608", Severity.ERROR, (1, 1))
    arts, diags = load_text("- a\n- b\n", "l.yaml")
    assert arts == [] and [d.code for d in diags] == ["FC608"]


def test_seccomp_dispatch(monkeypatch):
    profile = '{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": []}'
    monkeypatch.setitem(sys.modules, "formalc.artifacts.seccomp", None)  # importer absent
    arts, diags = load_text(profile, "p.json")
    (d,) = diags
    assert arts == [] and d.code == "FC608" and "seccomp" in d.message
    fake = types.ModuleType("formalc.artifacts.seccomp")
    fake.load_seccomp = lambda text, file: ([Artifact("seccomp", file, "p", {"text": text})], [])
    monkeypatch.setitem(sys.modules, "formalc.artifacts.seccomp", fake)
    arts, diags = load_text(profile, "p.json")
    assert diags == [] and [(a.kind, a.value["text"]) for a in arts] == [("seccomp", profile)]


# ------------------------------------------------------------------------- hostile input
def test_invalid_json_and_yaml_positions():
    _, (d,) = load_text('{\n  "ociVersion": "1.0",\n  "root": {"path": "r",},\n}', "c.json")
    assert d.code == "FC601" and where(d) == (3, 24) and "trailing comma" in d.message
    _, (d,) = load_text("kind: Pod\nspec:\n\tcontainers: []\n", "t.yaml")
    assert d.code == "FC601" and where(d) == (3, 1) and "tabs" in d.hint
    _, (d,) = load_text('{"a": NaN}', "n.json")
    assert d.code == "FC601" and where(d) == (1, 7)
    # the documents before a YAML syntax error are kept
    arts, diags = load_text("kind: Pod\nmetadata: {name: a}\nspec: {containers: []}\n---\n"
                            "kind: [\n", "two.yaml")
    assert [a.name for a in arts] == ["a"]
    assert [(d.code, d.span.line) for d in diags if d.code == "FC601"] == [("FC601", 6)]


def test_duplicate_keys_warn():
    arts, diags = load_text("kind: Pod\nmetadata: {name: a}\nspec:\n  hostPID: false\n"
                            "  hostPID: true\n  containers: []\n", "dup.yaml")
    (d,) = only(diags, "FC601")
    assert d.severity is Severity.WARNING and where(d) == (5, 3)
    assert arts[0].value["hostPID"] is True


def test_files_that_are_not_text(tmp_path):
    (tmp_path / "b.json").write_bytes(b"\x00\x01\x02garbage")
    (tmp_path / "u.yaml").write_bytes(b"kind: Pod\nname: \xff\n")
    (tmp_path / "e.yaml").write_text("")
    assert [d.code for d in load_artifacts(tmp_path / "b.json")[1]] == ["FC003"]
    (d,) = load_artifacts(tmp_path / "u.yaml")[1]
    assert d.code == "FC002" and where(d) == (2, 7)
    (d,) = load_artifacts(tmp_path / "e.yaml")[1]
    assert (d.code, d.severity) == ("FC608", Severity.WARNING)
    assert [d.code for d in load_artifacts(tmp_path / "missing.json")[1]] == ["FC001"]
    # a folder: every .json/.yaml below it
    arts, diags = load_artifacts(FIX)
    assert {a.name for a in arts} >= {"runc", "telemetry", "camera", "sensor-gateway"}


def test_deep_nesting_is_refused():
    for text, name in (("[" * 10_000 + "]" * 10_000, "d.json"), ("a: " + "[" * 10_000, "d.yaml"),
                       ("a:\n" + "".join(" " * i + "b:\n" for i in range(1, 400)), "d2.yaml")):
        arts, diags = load_text(text, name)
        assert arts == [] and [d.code for d in diags] == ["FC601"], (name, diags)
        assert "internal error" not in diags[0].message
    ok = "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1)
    assert parse_text(ok, "ok.json")[1] == []
    _, (d,) = load_text('{"ociVersion": ' + "9" * 5000 + "}", "long.json")
    assert d.code == "FC601" and where(d) == (1, 16)


def test_nesting_that_would_crash_libyaml_is_refused_first():
    # libyaml's composer overflows the C stack (SIGSEGV) some 20,000 levels down: run the
    # import in a child process so that a regression fails this test, not the whole run
    code = ("from formalc.artifacts.load import load_text\n"
            "for t in ['- ' * 100000 + 'x', 'a: ' + '[' * 50000 + ']' * 50000, '? ' * 60000]:\n"
            "    print([d.code for d in load_text(t, 'deep.yaml')[1]])\n")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                       cwd=Path(__file__).resolve().parent.parent)
    assert p.returncode == 0, p.stderr
    assert p.stdout.split("\n")[:3] == ["['FC601']"] * 3


def test_yaml_bomb_and_cycles_are_refused():
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 10):
        prev, cur = chr(96 + i), chr(97 + i)
        lines.append(f"{cur}: &{cur} [" + ",".join([f"*{prev}"] * 9) + "]")
    start = time.perf_counter()
    arts, diags = load_text("\n".join(lines) + "\n", "bomb.yaml")
    assert time.perf_counter() - start < 2
    (d,) = diags
    assert d.code == "FC601" and "aliases expand" in d.message
    (d,) = load_text("kind: &k [*k]\n", "cycle.yaml")[1]
    assert d.code == "FC601" and "cycle" in d.message
    # plain anchors and merges are fine
    text = ("apiVersion: v1\nkind: Pod\nmetadata: {name: m}\nspec:\n  containers:\n  - &c {name: a, image: i,"
            " securityContext: {privileged: true}}\n  - {<<: *c, name: b}\n")
    (pod,), diags = load_text(text, "merge.yaml")
    assert diags == [] and [c["privileged"] for c in pod.value["containers"]] == [True, True]
    assert [c["name"] for c in pod.value["containers"]] == ["a", "b"]


def test_mutated_inputs_never_raise():
    """Randomly damaged copies of the fixtures: diagnostics with spans, never an exception."""
    rng = random.Random(4)
    samples = [p.read_text() for p in sorted(FIX.rglob("*")) if p.is_file()]
    junk = ["{", "}", "[", "]", ":", ",", "\"", "-", " ", "\n", "\t", "&a", "*a", "!!int", "null",
            "<<", "'", "#", "---", "\x07", "é", "0x", "true"]
    for n in range(300):
        text = rng.choice(samples)
        for _ in range(rng.randint(1, 6)):
            i = rng.randrange(len(text) + 1)
            text = text[:i] + rng.choice(junk + [""]) + text[i + rng.randint(0, 8):]
        name = rng.choice(["x.json", "x.yaml"])
        arts, diags = load_text(text, name)
        for d in diags:
            assert "internal error" not in d.message, (n, d.message)
            assert d.span is not None and d.span.line >= 1 and d.span.column >= 1
            render(d, {name: text})


def test_thousand_deployments_import_fast(tmp_path):
    doc = (FIX / "workloads.yaml").read_text().split("---")[0]
    for i in range(1000):
        (tmp_path / f"d{i:04}.yaml").write_text(doc.replace("name: telemetry\n",
                                                            f"name: t{i}\n", 1))
    start = time.perf_counter()
    arts, diags = load_artifacts(tmp_path)
    elapsed = time.perf_counter() - start
    assert len(arts) == 1000 and diags == []
    assert len({a.name for a in arts}) == 1000
    assert elapsed < 10, elapsed
