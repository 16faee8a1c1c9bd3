"""Pins the claims of examples/camera_fleet/README.md, so the README cannot go stale.

The audit is run once (module fixture) with fixes on, as `python -m formalc audit
examples/camera_fleet/` runs it; each test checks one claim the README makes.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from formalc.audit.report import render_text
from formalc.audit.run import audit_paths

ROOT = Path(__file__).resolve().parent.parent
FLEET = ROOT / "examples" / "camera_fleet"
README = FLEET / "README.md"

K8S = "examples/camera_fleet/k8s/"
OCI = "examples/camera_fleet/oci/"


@pytest.fixture(scope="module")
def report():
    import os
    cwd = os.getcwd()
    os.chdir(ROOT)  # file names in the report are relative, as in the README
    try:
        return audit_paths(["examples/camera_fleet/"])
    finally:
        os.chdir(cwd)


@pytest.fixture(scope="module")
def text(report):
    return render_text(report)


def verdicts(report) -> dict[tuple[str, str], bool]:
    return {(v.artifact, v.policy): v.holds for v in report.verdicts}


# The README's table: (artifact, policy) → holds.
PODS = {
    "Deployment/camera-analytics": {"Baseline": False, "Restricted": False},
    "DaemonSet/camera-ingest": {"Baseline": False, "Restricted": False},
    "CronJob/footage-cleanup": {"Baseline": False, "Restricted": False},
    "Deployment/dashboard": {"Baseline": True, "Restricted": True},
}
THREATS = ("Mitigated_ContainerEscape", "Mitigated_PrivilegeEscalation",
           "Mitigated_ResourceExhaustion", "Mitigated_DataLeakage")
OCIS = {
    "analytics-runc": (False, False, False, False),
    "analytics-gvisor": (True, True, True, True),
    "analytics-kata": (True, True, True, True),
}


def test_every_artifact_is_imported_without_errors(report):
    assert not [d for d in report.diagnostics if d.is_error]
    assert len(report.files) == 8
    assert report.exit_code == 1


def test_summary_line(text):
    assert text.splitlines()[-1] == (
        "24 verdicts on 8 artifacts: 12 hold, 12 violated, 0 unknown, 56 findings")


def test_only_policy_predicates_are_reported(report):
    # By default the audited policies are the spec's `@policy` predicates, nothing descriptive.
    got = {}
    for v in report.verdicts:
        got.setdefault(v.artifact, []).append(v.policy)
    for artifact in PODS:
        assert got[artifact] == ["Baseline", "Restricted"], artifact
    for artifact in OCIS:
        assert got[artifact] == ["WellFormedOci", *THREATS], artifact
    assert got["camera-ingest.json"] == ["SeccompConsistent"]


@pytest.mark.parametrize("artifact", sorted(PODS))
def test_pod_verdicts(report, artifact):
    got = verdicts(report)
    for policy, holds in PODS[artifact].items():
        assert got[(artifact, policy)] is holds, (artifact, policy)


@pytest.mark.parametrize("artifact", sorted(OCIS))
def test_threat_verdicts(report, artifact):
    got = verdicts(report)
    assert tuple(got[(artifact, t)] for t in THREATS) == OCIS[artifact]


def test_shared_kernel_on_request_holds_for_runc_only():
    # `--policy SharedKernel`: the gVisor bundle (dev.gvisor.* annotation) and Kata are not
    # shared-kernel containers.
    import os
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        r = audit_paths(["examples/camera_fleet/oci"], policies=["SharedKernel"], fixes=False)
    finally:
        os.chdir(cwd)
    assert verdicts(r) == {("analytics-runc", "SharedKernel"): True,
                           ("analytics-gvisor", "SharedKernel"): False,
                           ("analytics-kata", "SharedKernel"): False}


def test_well_formed_oci(report):
    # runc spec's ambient capabilities are not in its (absent) inheritable set.
    got = verdicts(report)
    assert got[("analytics-runc", "WellFormedOci")] is False
    assert got[("analytics-gvisor", "WellFormedOci")] is True
    assert got[("analytics-kata", "WellFormedOci")] is True


def _findings(report, artifact, policy):
    return [f for v in report.verdicts if v.artifact == artifact and v.policy == policy
            for f in v.findings]


def test_daemonset_host_network_finding_line(report):
    f = [f for f in _findings(report, "DaemonSet/camera-ingest", "Baseline")
         if f.field == "spec.template.spec.hostNetwork"]
    assert len(f) == 1
    assert (f[0].file, f[0].line, f[0].control) == (
        K8S + "camera-ingest.yaml", 15, "PSS_Baseline_HostNamespaces")
    lines = (FLEET / "k8s" / "camera-ingest.yaml").read_text().splitlines()
    assert lines[f[0].line - 1].strip() == "hostNetwork: true"


def test_daemonset_baseline_controls(report):
    controls = {f.control for f in _findings(report, "DaemonSet/camera-ingest", "Baseline")}
    assert controls == {"PSS_Baseline_HostNamespaces", "PSS_Baseline_HostPathVolumes",
                        "PSS_Baseline_HostPorts"}


def test_cronjob_privileged_finding(report):
    f = [f for f in _findings(report, "CronJob/footage-cleanup", "Baseline")
         if f.control == "PSS_Baseline_Privileged"]
    assert [(x.line, x.field) for x in f] == [
        (19, "spec.jobTemplate.spec.template.spec.containers[0].securityContext.privileged")]


def test_analytics_only_the_detector_breaks_baseline(report):
    f = _findings(report, "Deployment/camera-analytics", "Baseline")
    assert {x.control for x in f} == {"PSS_Baseline_Capabilities"}
    assert all("containers[0]" in x.field for x in f)


def test_runc_root_uid_finding(report):
    f = [f for f in _findings(report, "analytics-runc", "Mitigated_ContainerEscape")
         if f.field == "process.user.uid"]
    assert [(x.file, x.line, x.control) for x in f] == [
        (OCI + "analytics-runc/config.json", 6, "Mitigated_ContainerEscape")]
    lines = (FLEET / "oci" / "analytics-runc" / "config.json").read_text().splitlines()
    assert lines[f[0].line - 1].strip() == '"uid": 0,'


def _fix_sets(report, artifact, policy):
    [v] = [v for v in report.verdicts if v.artifact == artifact and v.policy == policy]
    return {frozenset(f for f, _, _ in fix) for fix in v.fixes}


def test_runc_well_formed_fixes(report):
    assert _fix_sets(report, "analytics-runc", "WellFormedOci") == {
        frozenset({"process.capabilities.ambient"}),
        frozenset({"process.capabilities.inheritable"})}


@pytest.mark.parametrize("threat", ["Mitigated_ContainerEscape",
                                    "Mitigated_PrivilegeEscalation"])
def test_runc_escape_and_escalation_fixes(report, threat):
    # The README: a VM alone; gVisor plus an LSM; or seccomp plus non-root or a user namespace.
    assert _fix_sets(report, "analytics-runc", threat) == {
        frozenset({"vm.hypervisor.path"}),
        frozenset({"process.apparmorProfile", "annotations"}),
        frozenset({"process.selinuxLabel", "annotations"}),
        frozenset({"process.user.uid", "linux.seccomp"}),
        frozenset({"linux.seccomp", "linux.namespaces"})}


def test_runc_resource_exhaustion_fix(report):
    assert _fix_sets(report, "analytics-runc", "Mitigated_ResourceExhaustion") == {
        frozenset({"linux.resources.memory.limit", "linux.resources.cpu.quota",
                   "linux.resources.pids.limit"})}


def test_runc_data_leakage_fixes(report):
    assert _fix_sets(report, "analytics-runc", "Mitigated_DataLeakage") == {
        frozenset({"process.apparmorProfile"}), frozenset({"process.selinuxLabel"}),
        frozenset({"vm.hypervisor.path"})}


def test_seccomp_profile_redundant_write(report):
    [v] = [v for v in report.verdicts if v.file.endswith("camera-ingest.json")
           and v.policy == "SeccompConsistent"]
    assert not v.holds
    assert [(f.control, f.line) for f in v.findings] == [("SeccompShadowed", 20)]
    assert "write" in v.findings[0].condition
    # Reachable dangerous calls are notes, not findings: ptrace (line 25) is allowed always.
    assert any(n.startswith("ptrace: allowed when (always)") and n.endswith("(line 25)")
               for n in v.notes)
    assert any(n.startswith("never allowed:") and "mount" in n.split(", ") for n in v.notes)


def test_readme_quotes_the_report(text):
    """Every report line the README quotes (inside its ``` blocks, after the command) is a
    line of the real report."""
    readme = README.read_text(encoding="utf-8")
    real = {line.rstrip() for line in text.splitlines()}
    quoted = []
    inside = False
    for line in readme.splitlines():
        if line.startswith("```"):
            inside = not inside
            continue
        if inside and line.strip() and not line.startswith("$") and line.strip() != "…":
            quoted.append(line.rstrip())
    assert quoted, "the README quotes no report lines"
    missing = [q for q in quoted if q not in real]
    assert not missing, missing
