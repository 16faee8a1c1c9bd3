"""The security model as specs: specs/threats.iot (Definitions 2.2, 2.3, 5.1–5.4 over OCI
configuration fields) and specs/pss.iot (the Kubernetes Pod Security Standards).

Besides "every check holds", these tests pin exact verdicts and values, and show that checks
fail with a useful counterexample when a mitigation or a control is removed.
"""
import re
from fractions import Fraction
from pathlib import Path

import pytest

import formalc
from formalc import Verdict

SPECS = Path(__file__).resolve().parent.parent / "specs"
THREATS = SPECS / "threats.iot"
PSS = SPECS / "pss.iot"


def _with_checks(path: Path, extra: str, *, replace: tuple[str, str] | None = None):
    """The spec at ``path`` with ``extra`` checks appended (and one definition replaced)."""
    text = path.read_text(encoding="utf-8")
    if replace:
        assert text.count(replace[0]) == 1, "the replacement no longer applies"
        text = text.replace(*replace)
    return formalc.loads(text + "\n" + extra, name=f"extra-{path.name}", base=SPECS)


def _run(spec, *names):
    report = formalc.check(spec, select=list(names), timeout=20)
    results = {r.check: r for r in report.results}
    assert set(names) <= set(results), results.keys()
    return results


# ------------------------------------------------------------------------ every check holds

@pytest.mark.parametrize("path, total, sat", [(THREATS, 40, 3), (PSS, 49, 1)], ids=["threats", "pss"])
def test_checks_hold(path, total, sat):
    report = formalc.check(formalc.load(path))
    bad = [(r.check, r.verdict.value, r.reason) for r in report.results if not r.verdict.holds]
    assert not bad
    assert len(report.results) == total
    assert sum(r.verdict is Verdict.SATISFIED for r in report.results) == sat


def test_every_declaration_and_check_cites_a_definition():
    for path, allowed in [(THREATS, {"2.2", "2.3", "5.1", "5.2", "5.3", "5.4"}), (PSS, {"5.4"})]:
        spec = formalc.load(path)
        for c in spec.checks:
            assert c.annotations.defs and set(c.annotations.defs) <= allowed, c.name
        own = [d for d in spec.definitions.values() if d.module.endswith(path.name)]
        assert own and all(d.annotations.defs for d in own)


def test_library_still_loads_together():
    """Names are global across imports: the new files clash with none of the others."""
    imports = "\n".join(f"import {p.stem}" for p in sorted(SPECS.glob("*.iot")))
    spec = formalc.loads(imports + "\ncheck together: |Cap| = 41 ∧ |Capability| = 9\n",
                         name="all.iot", base=SPECS)
    assert _run(spec, "together")["together"].verdict is Verdict.PROVED


# ------------------------------------------------------------------------ threats.iot: values

LEVELS = {"ociRuncSpec": Fraction(3, 5), "ociRuncHardened": Fraction(4, 5),
          "ociGVisor": Fraction(7, 10), "ociKata": Fraction(9, 10),
          "ociFirecracker": Fraction(4, 5), "ociRuncPrivileged": Fraction(1, 2),
          "ociKataPrivileged": Fraction(9, 10)}


def test_isolation_levels_exact():
    extra = "\n".join(f"check lvl_{n}: IsolationLevel_Oci({n}) = {v.numerator}/{v.denominator}"
                      for n, v in LEVELS.items())
    results = _run(_with_checks(THREATS, extra), *(f"lvl_{n}" for n in LEVELS))
    for n, v in LEVELS.items():
        r = results[f"lvl_{n}"]
        assert r.verdict is Verdict.PROVED
        assert [b.value for b in r.values] == [v]


# instance → (HardwareIsolation, KernelIsolation, SyscallInterception, PolicyEnforcement,
#             Security_VM, Security_UserKernel, {mitigated threats})
VERDICTS = {
    "ociRuncSpec": (0, 0, 0, 0, 0, 0, set()),
    "ociRuncHardened": (0, 0, 1, 1, 0, 0, {"ContainerEscape", "PrivilegeEscalation",
                                           "ResourceExhaustion", "DataLeakage"}),
    "ociGVisor": (0, 1, 1, 1, 0, 1, {"ContainerEscape", "PrivilegeEscalation", "DataLeakage"}),
    "ociKata": (1, 1, 0, 0, 1, 0, {"ContainerEscape", "PrivilegeEscalation",
                                   "ResourceExhaustion", "DataLeakage"}),
    "ociFirecracker": (1, 1, 0, 0, 1, 0, {"ContainerEscape", "PrivilegeEscalation", "DataLeakage"}),
    "ociRuncPrivileged": (0, 0, 0, 0, 0, 0, set()),
    "ociKataPrivileged": (1, 1, 0, 0, 1, 0, {"ContainerEscape", "PrivilegeEscalation",
                                             "ResourceExhaustion", "DataLeakage"}),
}
PREDICATES = ["HardwareIsolation_Oci", "KernelIsolation_Oci", "SyscallInterception_Oci",
              "PolicyEnforcement_Oci", "Security_VM_Oci", "Security_UserKernel_Oci"]
THREATS_ = ["ContainerEscape", "PrivilegeEscalation", "ResourceExhaustion", "DataLeakage"]


def test_predicate_and_threat_verdicts():
    lines, names = [], []
    for inst, row in VERDICTS.items():
        for pred, want in zip(PREDICATES, row[:6]):
            name = f"v_{inst}_{pred}"
            lines.append(f"check {name}: {'' if want else '¬'}{pred}({inst})")
            names.append(name)
        for t in THREATS_:
            name = f"t_{inst}_{t}"
            lines.append(f"check {name}: {'' if t in row[6] else '¬'}Mitigated_{t}({inst})")
            names.append(name)
    results = _run(_with_checks(THREATS, "\n".join(lines)), *names)
    wrong = [n for n in names if results[n].verdict is not Verdict.PROVED]
    assert not wrong


# ------------------------------------------------------------------------ threats.iot: counterexamples

ESCAPE_WITHOUT = {
    # the third conjunction of Mitigated_ContainerEscape, on a shared kernel, minus one part
    "calls": "¬c.privileged ∧ (∀ k ∈ EscapeCaps • ¬Obtainable(c, k)) ∧ (c.userns ∨ c.uid ≠ 0) ∧ "
             "c.maskedProc ∧ NoHostNamespaces(c) ∧ ¬c.dangerousHostMount",
    "proc": "¬c.privileged ∧ (∀ k ∈ EscapeCaps • ¬Obtainable(c, k)) ∧ "
            "(∀ s ∈ EscapeCalls • ¬Reachable(c, s)) ∧ (c.userns ∨ c.uid ≠ 0) ∧ "
            "NoHostNamespaces(c) ∧ ¬c.dangerousHostMount",
    "user": "¬c.privileged ∧ (∀ k ∈ EscapeCaps • ¬Obtainable(c, k)) ∧ "
            "(∀ s ∈ EscapeCalls • ¬Reachable(c, s)) ∧ c.maskedProc ∧ "
            "NoHostNamespaces(c) ∧ ¬c.dangerousHostMount",
}


def test_escape_mitigation_needs_each_part():
    extra = "\n".join(f"check esc_{k}: ∀ c: OciConfig • SharedKernel(c) ∧ {v} ⇒ Mitigated_ContainerEscape(c)"
                      for k, v in ESCAPE_WITHOUT.items())
    results = _run(_with_checks(THREATS, extra), *(f"esc_{k}" for k in ESCAPE_WITHOUT))
    for r in results.values():
        assert r.verdict is Verdict.VIOLATED
    # without the seccomp condition: an escape call gets through
    cex = results["esc_calls"].counterexample
    escape_calls = {"mount", "unshare", "setns", "bpf", "keyctl", "open_by_handle_at"}
    assert cex["c.seccomp"] is False or escape_calls & set(cex["c.dangerousSyscallsAllowed"])
    # without masked /proc: /proc is unmasked
    assert results["esc_proc"].counterexample["c.maskedProc"] is False
    # without userns-or-non-root: root on the host
    cex = results["esc_user"].counterexample
    assert cex["c.uid"] == 0 and cex["c.userns"] is False


def test_removing_masked_proc_from_the_definition_breaks_its_check():
    spec = _with_checks(THREATS, "", replace=(
        "(c.userns ∨ c.uid ≠ 0) ∧ MaskedProcActive(c) ∧ NoHostNamespaces(c)",
        "(c.userns ∨ c.uid ≠ 0) ∧ NoHostNamespaces(c)"))
    r = _run(spec, "escape_needs_masked_proc")["escape_needs_masked_proc"]
    assert r.verdict is Verdict.VIOLATED
    cex = r.counterexample
    assert cex["c.maskedProc"] is False and cex["c.privileged"] is False
    assert cex["c.hypervisor"] is False and cex["c.userKernel"] is False


def test_privilege_defeats_a_hardened_config_unless_vm():
    extra = ("check priv_runc: ∀ c: OciConfig • c.privileged ⇒ Mitigated_ContainerEscape(c)\n"
             "check priv_vm: ∀ c: OciConfig • c.privileged ∧ c.hypervisor ⇒ Mitigated_ContainerEscape(c)")
    results = _run(_with_checks(THREATS, extra), "priv_runc", "priv_vm")
    assert results["priv_runc"].verdict is Verdict.VIOLATED
    assert results["priv_runc"].counterexample["c.hypervisor"] is False
    assert results["priv_vm"].verdict is Verdict.PROVED


def test_witnesses():
    results = _run(formalc.load(THREATS), "runc_mitigates_everything",
                   "interception_and_policy_without_user_kernel", "privileged_escape_contained")
    w = results["runc_mitigates_everything"].witness
    # uid 0 on runc: only a user namespace, a filtering profile and every limit make it
    assert w["c.runtime"] == "Runc" and w["c.uid"] == 0 and w["c.userns"] is True
    assert w["c.seccomp"] is True and w["c.seccompDefaultAllows"] is False
    assert w["c.memoryLimit"] and w["c.cpuLimit"] and w["c.pidsLimit"]
    w = results["interception_and_policy_without_user_kernel"].witness
    assert w["c.userKernel"] is False and w["c.seccomp"] is True
    w = results["privileged_escape_contained"].witness
    assert w["c.privileged"] is True and w["c.hypervisor"] is True


# ------------------------------------------------------------------------ pss.iot

def test_every_control_has_a_passing_and_a_failing_check():
    text = PSS.read_text(encoding="utf-8")
    controls = re.findall(r"^(PSS_(?:Baseline|Restricted)_\w+)\(p: Pod\) :=", text, re.M)
    assert len(controls) == 17  # 11 baseline + 6 restricted
    checks = dict(re.findall(r"^check (pss_\w+): (.*)$", text, re.M))
    for ctl in controls:
        fail = [n for n, f in checks.items() if n.endswith("_fail") and f"¬{ctl}(" in f]
        ok = [n for n, f in checks.items() if n.endswith("_pass") and re.search(rf"(?<!¬){ctl}\(", f)]
        assert fail and ok, ctl


def test_pss_verdicts():
    expect = {"podRestricted": "LevelRestricted", "podDefault": "LevelBaseline",
              "podHostNet": "LevelPrivileged", "podMixed": "LevelPrivileged",
              "podNetRaw": "LevelPrivileged", "podDefaultCaps": "LevelBaseline",
              "podUid0": "LevelBaseline", "podNfs": "LevelBaseline",
              "podHostPath": "LevelPrivileged", "podBindService": "LevelRestricted"}
    extra = "\n".join(f"check lv_{p}: LevelOf({p}) = {lvl}" for p, lvl in expect.items())
    results = _run(_with_checks(PSS, extra), *(f"lv_{p}" for p in expect))
    assert all(r.verdict is Verdict.PROVED for r in results.values())


def test_baseline_does_not_imply_restricted():
    spec = _with_checks(PSS, "check b_r: ∀ p: Pod • Baseline(p) ⇒ Restricted(p)")
    r = _run(spec, "b_r")["b_r"]
    assert r.verdict is Verdict.VIOLATED
    assert "p.containers" in r.counterexample


def test_restricted_capabilities_admitting_net_raw_breaks_the_inclusion():
    spec = _with_checks(PSS, "", replace=(
        "∀ c ∈ p.containers • c.dropsAll ∧ c.capabilitiesAdd ⊆ {NET_BIND_SERVICE}",
        "∀ c ∈ p.containers • c.dropsAll ∧ c.capabilitiesAdd ⊆ {NET_BIND_SERVICE, NET_RAW}"))
    r = _run(spec, "restricted_implies_baseline")["restricted_implies_baseline"]
    assert r.verdict is Verdict.VIOLATED
    assert "NET_RAW" in str(r.counterexample["p.containers"])


def test_volume_types_must_also_forbid_host_path():
    spec = _with_checks(PSS, "", replace=(
        "PSS_Restricted_VolumeTypes(p: Pod) := ¬p.hostPathVolumes ∧ p.volumeTypesRestricted",
        "PSS_Restricted_VolumeTypes(p: Pod) := p.volumeTypesRestricted"))
    r = _run(spec, "restricted_implies_baseline")["restricted_implies_baseline"]
    assert r.verdict is Verdict.VIOLATED
    assert r.counterexample["p.hostPathVolumes"] is True
    assert r.counterexample["p.volumeTypesRestricted"] is True


def test_unset_allow_privilege_escalation_fails_restricted():
    extra = ("check ape: ¬PSS_Restricted_PrivilegeEscalation(podDefault) ∧ ctrDefault.allowPrivilegeEscalation\n"
             "check ape_only: Baseline(podEscalation) ∧ ¬Restricted(podEscalation)")
    results = _run(_with_checks(PSS, extra), "ape", "ape_only")
    assert all(r.verdict is Verdict.PROVED for r in results.values())
