"""Minimal mitigations (formalc.policy.mitigations) and capability sets (formalc.policy.caps)."""
import time

import pytest

import formalc
from formalc.diagnostics import SpecError
from formalc.policy import caps as C
from formalc.policy.mitigations import minimal_fixes

SPEC = """
Runtime = {Runc, Crun, Kata, Firecracker, GVisor}
Capability = {CAP_SYS_ADMIN, CAP_SYS_MODULE, CAP_NET_ADMIN, CAP_NET_BIND_SERVICE, CAP_CHOWN}
Fs = (readOnlyRoot: Bool, hostMounts: Bool)
OciConfig = (runtime: Runtime, privileged: Bool, uid: Int, userns: Bool, seccomp: Bool,
             caps: set Capability, fs: Fs)
VMRuntimes = {Kata, Firecracker}
Security_VM(c: OciConfig) := c.runtime ∈ VMRuntimes
Sandboxed(c: OciConfig) := c.runtime = GVisor ∧ c.seccomp
Hardened(c: OciConfig) := ¬c.privileged ∧ c.uid ≠ 0 ∧ c.caps ⊆ {CAP_NET_BIND_SERVICE}
Mitigated(c: OciConfig) := Security_VM(c) ∨ Sandboxed(c) ∨ Hardened(c)
Strict(c: OciConfig) := ¬c.fs.hostMounts ∧ (Security_VM(c) ∨ Hardened(c))
Impossible(c: OciConfig) := c.seccomp ∧ c.uid = 0 ∧ ¬c.privileged ∧ c.uid > 5
bad := OciConfig(runtime: Runc, privileged: true, uid: 0, userns: false, seccomp: false,
                 caps: {CAP_SYS_ADMIN, CAP_NET_BIND_SERVICE},
                 fs: Fs(readOnlyRoot: false, hostMounts: true))
good := OciConfig(runtime: Kata, privileged: true, uid: 0, userns: false, seccomp: false,
                  caps: {}, fs: Fs(readOnlyRoot: true, hostMounts: false))
"""


@pytest.fixture(scope="module")
def spec():
    return formalc.loads(SPEC)


def test_or_of_conjunctions_exact_minimal_fixes(spec):
    r = minimal_fixes(spec, "Mitigated", "bad")
    assert r.holds is False and r.complete and r.reason is None
    assert r.false_atoms == [
        "c.runtime ∈ VMRuntimes [in Security_VM(c)]", "c.runtime = GVisor [in Sandboxed(c)]",
        "c.seccomp [in Sandboxed(c)]", "¬c.privileged [in Hardened(c)]",
        "c.uid ≠ 0 [in Hardened(c)]", "c.caps ⊆ {CAP_NET_BIND_SERVICE} [in Hardened(c)]"]
    # {runtime, seccomp} (gVisor) is no minimal fix: changing the runtime alone (to a VM) is.
    fields = [[f for f, _ in fix] for fix in r.fixes]
    assert fields == [["c.runtime"], ["c.privileged", "c.uid", "c.caps"]]
    runtime_fix, hardening = r.fixes
    assert runtime_fix[0][1] in ("Kata", "Firecracker")
    new = dict(hardening)
    assert new["c.privileged"] == "false" and new["c.uid"] != "0"
    # the witness set drops only what it must: CAP_SYS_ADMIN
    assert new["c.caps"] == "{CAP_NET_BIND_SERVICE}"
    assert r.fix_atoms[0] == ["c.runtime ∈ VMRuntimes [in Security_VM(c)] → true"]
    assert r.necessary == [] and r.mus is None


def test_fixes_respect_shared_fields(spec):
    # c.uid ≠ 0 and c.uid = 0 share a field: a fix must make one true and the other false
    s = formalc.loads(SPEC + "\nOdd(c: OciConfig) := (c.uid = 0 ∧ c.seccomp) ∨ (c.uid ≠ 0 ∧ c.userns)")
    r = minimal_fixes(s, "Odd", "bad")
    assert [[f for f, _ in fix] for fix in r.fixes] == [["c.seccomp"], ["c.uid", "c.userns"]]


def test_necessary_atoms_backbone(spec):
    r = minimal_fixes(spec, "Strict", "bad")
    assert r.holds is False
    assert r.necessary == ["¬c.fs.hostMounts"]
    assert all(any(f == "c.fs.hostMounts" for f, _ in fix) for fix in r.fixes)
    assert [[f for f, _ in fix] for fix in r.fixes] == [
        ["c.runtime", "c.fs.hostMounts"], ["c.privileged", "c.uid", "c.caps", "c.fs.hostMounts"]]


def test_holds_no_fixes(spec):
    r = minimal_fixes(spec, "Mitigated", "good")
    assert r.holds is True and r.fixes == [] and r.false_atoms != []


def test_unsatisfiable_predicate_mus(spec):
    r = minimal_fixes(spec, "Impossible", "bad")
    assert r.holds is False and r.fixes == [] and r.necessary == []
    assert r.mus == ["c.uid = 0", "c.uid > 5"]


def test_dict_instance_and_errors(spec):
    inst = {"runtime": "Runc", "privileged": False, "uid": 1000, "userns": True, "seccomp": True,
            "caps": ["CAP_CHOWN"], "fs": {"readOnlyRoot": True, "hostMounts": False}}
    r = minimal_fixes(spec, "Hardened", inst)
    assert r.holds is False and r.fixes == [[("c.caps", "{}")]]
    assert r.necessary == ["¬c.privileged", "c.uid ≠ 0", "c.caps ⊆ {CAP_NET_BIND_SERVICE}"]
    with pytest.raises(ValueError, match="runtime"):
        minimal_fixes(spec, "Hardened", {**inst, "runtime": "Docker"})
    with pytest.raises(ValueError, match="not a predicate"):
        minimal_fixes(spec, "bad", "bad")


def test_thirty_atoms_under_a_second():
    fields = ", ".join(f"b{i}: Bool, n{i}: Int" for i in range(10))
    groups = [" ∧ ".join(f"(c.b{j} ∨ c.n{j} > {j})" for j in range(g, g + 5))
              for g in (0, 5)]
    extra = " ∧ ".join(f"c.n{j} ≠ {j + 100}" for j in range(10))
    text = (f"T = ({fields})\nP(c: T) := ({groups[0]}) ∨ ({groups[1]}) ∨ ({extra})\n"
            "x := T(" + ", ".join(f"b{i}: false, n{i}: 0" for i in range(10)) + ")\n")
    text = text.replace("n0: 0", "n0: 100")  # make the third disjunct false too
    s = formalc.loads(text)
    t = time.perf_counter()
    r = minimal_fixes(s, "P", "x", max_sets=10)
    assert time.perf_counter() - t < 1.0
    assert len(r.atoms) == 30 and r.holds is False
    assert r.fixes[0] == [("c.n0", r.fixes[0][0][1])] and len(r.fixes[0]) == 1


# ------------------------------------------------------------------ capability sets
def test_caps_violations_found():
    s = C.CapSets.of(effective={"sys_admin", "CAP_CHOWN"}, permitted={"CAP_CHOWN", "NET_RAW"},
                     inheritable={"CAP_CHOWN"}, bounding={"CAP_CHOWN"},
                     ambient={"CAP_CHOWN", "CAP_NET_RAW"})
    got = [(v.rule, v.kind, v.caps) for v in C.violations(s)]
    assert got == [
        ("effective ⊆ permitted", "kernel", ("CAP_SYS_ADMIN",)),
        ("ambient ⊆ permitted ∩ inheritable", "kernel", ("CAP_NET_RAW",)),
        ("permitted ⊆ bounding", "config", ("CAP_NET_RAW",)),
        ("effective ⊆ ambient (non-root: lost on execve)", "note", ("CAP_SYS_ADMIN",))]
    assert not C.consistent(s)
    assert C.dangerous_effective(s) == ("CAP_SYS_ADMIN",)


def test_caps_consistent_set_and_execve():
    s = C.CapSets.of(effective={"NET_BIND_SERVICE"}, permitted={"NET_BIND_SERVICE", "CHOWN"},
                     inheritable={"NET_BIND_SERVICE"}, bounding={"NET_BIND_SERVICE", "CHOWN"},
                     ambient={"NET_BIND_SERVICE"})
    assert C.violations(s) == [] and C.consistent(s)
    after = C.execve(s, uid=1000)  # no file caps: only the ambient capabilities survive
    assert after.permitted == after.effective == after.ambient == frozenset({"CAP_NET_BIND_SERVICE"})
    assert after.inheritable == s.inheritable and after.bounding == s.bounding
    # a set-uid program drops the ambient set; root gets bounding ∪ inheritable, all effective
    assert C.execve(s, uid=1000, setid=True).permitted == frozenset()
    root = C.execve(s, uid=0)
    assert root.permitted == root.effective == frozenset({"CAP_NET_BIND_SERVICE", "CAP_CHOWN"})
    fc = C.FileCaps(permitted=frozenset({"CAP_CHOWN", "CAP_SYS_ADMIN"}), effective=True)
    assert C.execve(s, uid=1000, file_caps=fc).effective == frozenset({"CAP_CHOWN"})


def test_caps_unknown_name_is_fc606():
    with pytest.raises(SpecError) as e:
        C.CapSets.of(effective={"CAP_SYS_ADMN"})
    d = e.value.diagnostics[0]
    assert d.code == "FC606" and "CAP_SYS_ADMIN" in (d.hint or "")
