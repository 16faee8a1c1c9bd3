"""`formalc audit`: real outcomes on real and hand-written artifacts (library and CLI)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from formalc.audit.run import audit_paths
from formalc.cli import main

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "tests" / "fixtures" / "artifacts"
RUNC = ARTIFACTS / "runc" / "config.json"
MOBY = ROOT.parent / "shared" / "data" / "seccomp" / "moby-default.json"

COMPLIANT = """\
apiVersion: v1
kind: Pod
metadata:
  name: good
spec:
  securityContext:
    runAsNonRoot: true
    seccompProfile:
      type: RuntimeDefault
  containers:
    - name: app
      image: app:1
      securityContext:
        allowPrivilegeEscalation: false
        capabilities:
          drop: [ALL]
"""

# hostNetwork on line 6 (value at column 16); runAsNonRoot: false written at pod level
# (line 8, inherited by container b) and at container level for container a (line 15).
MIXED = """\
apiVersion: v1
kind: Pod
metadata:
  name: mixed
spec:
  hostNetwork: true
  securityContext:
    runAsNonRoot: false
    seccompProfile:
      type: RuntimeDefault
  containers:
    - name: a
      image: app:1
      securityContext:
        runAsNonRoot: false
        allowPrivilegeEscalation: false
        capabilities:
          drop: [ALL]
    - name: b
      image: app:1
      securityContext:
        allowPrivilegeEscalation: false
        capabilities:
          drop: [ALL]
"""

SERVICE_AND_DEPLOYMENT = """\
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  ports: [{port: 80}]
"""

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      hostPID: true
      containers:
        - name: web
          image: web:1
"""


@pytest.fixture
def pods(tmp_path):
    (tmp_path / "good.yaml").write_text(COMPLIANT, encoding="utf-8")
    (tmp_path / "mixed.yaml").write_text(MIXED, encoding="utf-8")
    return tmp_path


def verdict(report, policy):
    (v,) = [v for v in report.verdicts if v.policy == policy]
    return v


# --- exit codes ---------------------------------------------------------------------------

def test_compliant_restricted_pod_exits_0(pods, capsys):
    assert main(["audit", "--no-fixes", str(pods / "good.yaml")]) == 0
    out = capsys.readouterr().out
    assert "violated" not in out.split("\n")[-2] or " 0 violated" in out
    report = audit_paths([str(pods / "good.yaml")], fixes=False)
    assert {"Baseline", "Restricted"} <= {v.policy for v in report.verdicts}
    assert all(v.holds for v in report.verdicts) and report.exit_code == 0


def test_violations_exit_1(pods, capsys):
    assert main(["audit", "--no-fixes", str(pods / "mixed.yaml")]) == 1
    assert "✘ violated Baseline" in capsys.readouterr().out


def test_bad_artifact_exits_2(tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text('{"ociVersion": "1.0.2", "root": {"path": "rootfs",}}\n', encoding="utf-8")
    assert main(["audit", "--no-fixes", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "error[FC601]" in err and f"{bad}:1:" in err


def test_missing_file_exits_2(tmp_path, capsys):
    assert main(["audit", str(tmp_path / "nope.yaml")]) == 2
    assert "FC001" in capsys.readouterr().err


# --- findings point at the written value ----------------------------------------------------

def test_host_network_finding_position(pods):
    report = audit_paths([str(pods / "mixed.yaml")], fixes=False)
    (f,) = [f for f in verdict(report, "Baseline").findings]
    assert (f.line, f.column) == (6, 16)
    assert f.file == str(pods / "mixed.yaml")
    assert f.field == "spec.hostNetwork"
    assert f.control == "PSS_Baseline_HostNamespaces"
    assert f.artifact == "Pod/mixed"


def test_run_as_non_root_container_level_and_inherited(pods):
    report = audit_paths([str(pods / "mixed.yaml")], fixes=False)
    found = {(f.field, f.line, f.column) for f in verdict(report, "Restricted").findings
             if f.control == "PSS_Restricted_RunAsNonRoot"}
    # container a sets it itself (line 15); container b inherits the pod's (line 8)
    assert found == {("spec.containers[0].securityContext.runAsNonRoot", 15, 23),
                     ("spec.securityContext.runAsNonRoot", 8, 19)}


def test_policy_selects_only_that_one(pods, capsys):
    report = audit_paths([str(pods / "mixed.yaml")], policies=["Baseline"], fixes=False)
    assert [v.policy for v in report.verdicts] == ["Baseline"]
    assert main(["audit", "--no-fixes", "--policy", "Baseline", str(pods / "mixed.yaml")]) == 1
    out = capsys.readouterr().out
    assert "Baseline" in out and "Restricted" not in out and "WellFormedPod" not in out


# --- output formats ---------------------------------------------------------------------------

def test_json_output(pods, capsys):
    assert main(["audit", "--no-fixes", "--format", "json", "--policy", "Baseline",
                 str(pods / "mixed.yaml")]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert doc["schema"] == "formalc-audit" and doc["schema_version"] == 1
    assert doc["files"] == [str(pods / "mixed.yaml")]
    assert doc["summary"]["exit_code"] == 1 and doc["summary"]["violated"] == 1
    (v,) = doc["verdicts"]
    assert (v["policy"], v["holds"], v["artifact"]) == ("Baseline", False, "Pod/mixed")
    (f,) = v["findings"]
    assert {k: f[k] for k in ("line", "column", "field", "control", "condition")} == {
        "line": 6, "column": 16, "field": "spec.hostNetwork",
        "control": "PSS_Baseline_HostNamespaces", "condition": "¬p.hostNetwork"}
    assert set(f) >= {"file", "artifact", "policy", "values", "fix"}
    assert doc["diagnostics"] == []


def test_sarif_output(pods, capsys):
    assert main(["audit", "--no-fixes", "--format", "sarif", str(pods / "mixed.yaml")]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert doc["version"] == "2.1.0" and "sarif-2.1.0" in doc["$schema"]
    (run,) = doc["runs"]
    assert run["tool"]["driver"]["name"] == "formalc"
    rule_ids = {r["id"] for r in run["tool"]["driver"]["rules"]}
    assert {"PSS_Baseline_HostNamespaces", "PSS_Restricted_RunAsNonRoot"} <= rule_ids
    assert run["results"]
    for r in run["results"]:
        assert r["ruleId"] in rule_ids and r["level"] == "error" and r["message"]["text"]
    lines = {(r["ruleId"], r["locations"][0]["physicalLocation"]["region"]["startLine"])
             for r in run["results"]}
    assert {("PSS_Baseline_HostNamespaces", 6), ("PSS_Restricted_RunAsNonRoot", 8),
            ("PSS_Restricted_RunAsNonRoot", 15)} <= lines
    uri = run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri == str(pods / "mixed.yaml")


def test_sarif_reports_error_diagnostics(tmp_path, capsys):
    bad = tmp_path / "p.json"
    bad.write_text('{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": '
                   '[{"names": ["read"], "action": "SCMP_ACT_ALOW"}]}', encoding="utf-8")
    assert main(["audit", "--format", "sarif", str(bad)]) == 2
    run = json.loads(capsys.readouterr().out)["runs"][0]
    (r,) = run["results"]
    assert r["ruleId"] == "FC609" and r["level"] == "error"
    assert r["locations"][0]["physicalLocation"]["region"]["startLine"] == 1


# --- OCI config against the threat model ----------------------------------------------------

_LIMITS = {"memory": ("c.memoryLimit", "linux.resources.memory.limit"),
           "cpu": ("c.cpuLimit", "linux.resources.cpu.quota"),
           "pids": ("c.pidsLimit", "linux.resources.pids.limit")}


def test_runc_config_resource_exhaustion_fix():
    report = audit_paths([str(RUNC)])
    v = verdict(report, "Mitigated_ResourceExhaustion")
    assert not v.holds and v.reason is None
    assert v.artifact == "runc"
    # the one cheapest fix sets all three limits (named as view fields or document paths)
    assert len(v.fixes) == 1
    fields = {fx[0] for fx in v.fixes[0]}  # (field, value[, text])
    assert len(fields) == 3
    for names in _LIMITS.values():
        assert fields & set(names), (names, fields)
    assert all(fx[1] == "true" for fx in v.fixes[0])
    assert {f.field for f in v.findings} == {"linux.resources.memory.limit",
                                            "linux.resources.cpu.quota",
                                            "linux.resources.pids.limit"}
    assert report.exit_code == 1


def test_runc_config_no_fixes_leaves_fixes_out():
    report = audit_paths([str(RUNC)], policies=["Mitigated_ResourceExhaustion"], fixes=False)
    (v,) = report.verdicts
    assert not v.holds and v.fixes == [] and v.findings


# --- seccomp ---------------------------------------------------------------------------------

@pytest.mark.skipif(not MOBY.exists(), reason="moby-default.json not available")
def test_moby_profile_ptrace_reachable_with_condition():
    report = audit_paths([str(MOBY)])
    texts = [(v.policy, t) for v in report.verdicts
             for t in [f.condition for f in v.findings] + list(getattr(v, "notes", []))]
    ptrace = [(p, t) for p, t in texts if t.startswith("ptrace:")]
    assert ptrace, texts
    policy, text = ptrace[0]
    assert policy in {"DangerousCallsBlocked", "SeccompConsistent"}
    assert "kernel ≥ 4.8" in text and "CAP_SYS_PTRACE" in text
    # the real profile is consistent: no conflicting, redundant or shadowed entries
    assert verdict(report, "SeccompConsistent").holds


# --- folders and several objects --------------------------------------------------------------

def test_folder_with_service_and_deployment(tmp_path, capsys):
    (tmp_path / "svc.yaml").write_text(SERVICE_AND_DEPLOYMENT, encoding="utf-8")
    (tmp_path / "deploy.yml").write_text(DEPLOYMENT, encoding="utf-8")
    (tmp_path / "README.txt").write_text("not an artifact", encoding="utf-8")
    report = audit_paths([str(tmp_path)], fixes=False)
    assert {v.artifact for v in report.verdicts} == {"Deployment/web"}
    (note,) = [d for d in report.diagnostics if d.code == "FC608"]
    assert not note.is_error and "Service" in note.message
    (f,) = verdict(report, "Baseline").findings
    assert (f.field, f.line, f.column) == ("spec.template.spec.hostPID", 12, 16)
    assert report.exit_code == 1
    assert main(["audit", "--no-fixes", str(tmp_path)]) == 1
    assert "FC608" in capsys.readouterr().err


def test_multi_document_fixture(capsys):
    report = audit_paths([str(ARTIFACTS / "workloads.yaml")], fixes=False)
    arts = {v.artifact for v in report.verdicts}
    assert {"Deployment/telemetry", "DaemonSet/node-agent",
            "CronJob/nightly-backup"} <= arts
    assert not any(a.startswith("Service/") for a in arts)


# --- robustness --------------------------------------------------------------------------------

@pytest.mark.parametrize("content", [
    b"\x00\x01\x02garbage\xff\xfe",
    b"\xff\xfe\xfd not utf-8",
    b"{{{{[[[[",
    b"key: [unclosed\n  - : :\n",
    b"- just\n- a\n- list\n",
    b"42\n",
    b"kind: Pod\nspec: 7\n",
    b'{"defaultAction": 5, "syscalls": {"names": "x"}}',
    b"a: &a [*a, *a]\n",
])
def test_garbage_never_tracebacks(tmp_path, content):
    f = tmp_path / "x.yaml"
    f.write_bytes(content)
    p = subprocess.run([sys.executable, "-m", "formalc", "audit", "--no-fixes", str(f)],
                       capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert "Traceback" not in p.stderr, p.stderr
    assert p.returncode == 2, (p.returncode, p.stderr)
    assert "error[FC" in p.stderr


def test_empty_file_is_a_warning_not_a_crash(tmp_path, capsys):
    f = tmp_path / "empty.yaml"
    f.write_text("", encoding="utf-8")
    report = audit_paths([str(f)], fixes=False)
    (d,) = report.diagnostics
    assert d.code == "FC608" and not d.is_error and "empty" in d.message
    assert report.verdicts == []
