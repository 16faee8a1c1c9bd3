"""Seccomp profiles: the importer (positions, FC6xx diagnostics) and the analysis, on the real
moby default profile and on small crafted ones."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from formalc.artifacts.seccomp import load_seccomp, profile_of
from formalc.diagnostics import Severity
from formalc.policy.seccomp import Environment, analyse, decide, format_report
from formalc.policy.syscalls import CLONE_NEW_MASK, CLONE_NEWUSER

MOBY = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "seccomp" / \
    "moby-default.json"
pytestmark = pytest.mark.skipif(not MOBY.exists(), reason="moby profile not available")

ADMIN = frozenset({"CAP_SYS_ADMIN"})


@pytest.fixture(scope="module")
def moby():
    art = load_seccomp(MOBY)
    return art, profile_of(art)


@pytest.fixture(scope="module")
def moby_report(moby):
    return analyse(moby[1])


def crafted(syscalls: list[dict], default: str = "SCMP_ACT_ERRNO", **top):
    text = json.dumps({"defaultAction": default, **top, "syscalls": syscalls}, indent=2)
    art = load_seccomp(text, file="crafted.json")
    assert not [d for d in art.diagnostics if d.is_error], art.diagnostics
    return art, profile_of(art)


def codes(art):
    return [(d.code, d.severity) for d in art.diagnostics]


# --------------------------------------------------------------------------- importer

def test_moby_loads_without_diagnostics(moby):
    art, prof = moby
    assert art.kind == "seccomp" and art.diagnostics == []
    assert len(prof.rules) == 33
    assert prof.default_verdict == ("SCMP_ACT_ERRNO", 1)
    assert prof.arch_map[0] == ("SCMP_ARCH_X86_64", ("SCMP_ARCH_X86", "SCMP_ARCH_X32"))
    clone = prof.rules[18]
    assert clone.names == ("clone",) and clone.args[0].op == "SCMP_CMP_MASKED_EQ"
    assert clone.excludes.caps == ("CAP_SYS_ADMIN",) and clone.excludes.arches == ("s390", "s390x")
    # positions: the entry's span and a nested field's line are those of the file
    lines = MOBY.read_text().splitlines()
    sp = art.span(("syscalls", 18, "args", 0, "op"))
    assert '"SCMP_CMP_MASKED_EQ"' in lines[sp.line - 1]
    assert lines[clone.span.line - 1].strip() == "{"


def test_invalid_json_is_fc601_with_line_and_column():
    art = load_seccomp('{\n  "defaultAction": "SCMP_ACT_ERRNO",\n  "syscalls": [}\n', file="bad.json")
    [d] = art.diagnostics
    assert d.code == "FC601" and (d.span.line, d.span.column) == (3, 16)
    assert art.value == {}


def test_truncated_or_mangled_input_never_raises():
    text = MOBY.read_text() if MOBY.exists() else "{}"
    for cut in range(0, len(text), max(1, len(text) // 150)):
        art = load_seccomp(text[:cut] or " ", file="cut.json")
        assert art.diagnostics, cut
        assert all(d.code in ("FC601", "FC602", "FC607") for d in art.diagnostics)
    for bad in ["[]", "null", '{"defaultAction": 3}', ('{"defaultAction": "SCMP_ACT_ALLOW",'
                ' "syscalls": [1, {"names": "read", "action": "SCMP_ACT_ALLOW"},'
                ' {"names": ["read"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 9,'
                ' "value": -1, "op": "SCMP_CMP_EQ"}]}, {"names": ["read"], "action":'
                ' "SCMP_ACT_ALLOW", "includes": {"minKernel": "four"}}]}'), "[" * 5000]:
        art = load_seccomp(bad, file="bad.json")
        assert any(d.is_error for d in art.diagnostics), bad
        profile_of(art)  # the normalised part is still usable


@pytest.mark.parametrize("entry, code, severity, path", [
    ({"names": ["reed"], "action": "SCMP_ACT_ALLOW"}, "FC604", Severity.ERROR, ("names", 0)),
    ({"names": ["read"], "action": "SCMP_ACT_ALLOW", "includes": {"arches": ["vax"]}},
     "FC605", Severity.ERROR, ("includes", "arches", 0)),
    ({"names": ["read"], "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_SYS_ADMN"]}},
     "FC606", Severity.ERROR, ("includes", "caps", 0)),
    ({"names": ["read"], "action": "SCMP_ACT_PERMIT"}, "FC609", Severity.ERROR, ("action",)),
    ({"names": ["read"], "action": "SCMP_ACT_ALLOW",
      "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_LIKE"}]},
     "FC609", Severity.ERROR, ("args", 0, "op")),
    ({"names": ["read"], "action": "SCMP_ACT_ALLOW", "colour": "blue"},
     "FC603", Severity.WARNING, ("colour",)),
    ({"names": ["read"]}, "FC607", Severity.ERROR, ()),
    ({"names": ["read"], "action": "SCMP_ACT_ALLOW", "errnoRet": "EPERM"},
     "FC602", Severity.ERROR, ("errnoRet",)),
])
def test_bad_entries(entry, code, severity, path):
    text = json.dumps({"defaultAction": "SCMP_ACT_ERRNO",
                       "syscalls": [{"names": ["write"], "action": "SCMP_ACT_ALLOW"}, entry]},
                      indent=2)
    art = load_seccomp(text, file="p.json")
    assert (code, severity) in codes(art)
    d = next(d for d in art.diagnostics if d.code == code)
    assert d.span == art.positions.get(("syscalls", 1) + path, art.span(("syscalls", 1) + path))
    assert d.span.line > 1
    if code in ("FC604", "FC606", "FC609") and "PERMIT" not in text:
        assert d.hint and "did you mean" in d.hint


def test_unknown_top_level_field_and_arch():
    art = load_seccomp('{"defaultAction": "SCMP_ACT_ERRNO", "architectures": ["SCMP_ARCH_VAX"],'
                       ' "defaultErrnoRett": 1}', file="p.json")
    assert ("FC605", Severity.ERROR) in codes(art)
    assert ("FC603", Severity.WARNING) in codes(art)


def test_missing_file():
    art = load_seccomp(Path("/nonexistent/profile.json"))
    assert [d.code for d in art.diagnostics] == ["FC001"]


# --------------------------------------------------------------------------- the moby profile

def test_ptrace_allowed_iff_kernel_4_8_or_cap_sys_ptrace(moby, moby_report):
    r = moby_report.reachability_of("ptrace")
    assert r.status == "conditional"
    assert sorted(map(str, r.when_allowed)) == ["CAP_SYS_PTRACE", "kernel ≥ 4.8"]
    assert r.when_unrestricted == r.when_allowed
    prof = moby[1]
    assert decide(prof, Environment(kernel="4.4"), "ptrace").action == "SCMP_ACT_ERRNO"
    assert decide(prof, Environment(kernel="4.8"), "ptrace").allowed
    assert decide(prof, Environment(kernel="4.4", caps={"CAP_SYS_PTRACE"}), "ptrace").allowed


@pytest.mark.parametrize("name", ["mount", "umount2", "unshare", "setns", "fsopen", "open_tree"])
def test_namespace_and_mount_calls_need_cap_sys_admin(moby, moby_report, name):
    r = moby_report.reachability_of(name)
    assert [str(c) for c in r.when_allowed] == ["CAP_SYS_ADMIN"]
    assert r.lines == (633,)  # the CAP_SYS_ADMIN entry (its `{` is on line 633)
    assert not decide(moby[1], Environment(caps={"CAP_SYS_PTRACE"}), name).allowed
    assert decide(moby[1], Environment(caps=ADMIN), name).allowed


def test_never_allowed(moby_report):
    never = {r.syscall for r in moby_report.reachability if r.status == "never"}
    assert {"kexec_load", "keyctl", "add_key", "request_key", "pivot_root", "swapon",
            "userfaultfd"} <= never


def test_other_capabilities(moby_report):
    assert sorted(map(str, moby_report.reachability_of("bpf").when_allowed)) == \
        ["CAP_BPF", "CAP_SYS_ADMIN"]
    assert [str(c) for c in moby_report.reachability_of("reboot").when_allowed] == ["CAP_SYS_BOOT"]
    assert [str(c) for c in moby_report.reachability_of("open_by_handle_at").when_allowed] == \
        ["CAP_DAC_READ_SEARCH"]


def test_clone_namespace_flags_need_cap_sys_admin(moby, moby_report):
    prof = moby[1]
    r = moby_report.reachability_of("clone")
    assert [str(c) for c in r.when_allowed] == ["always"]
    assert [str(c) for c in r.when_unrestricted] == ["CAP_SYS_ADMIN"]
    for o in r.outcomes:
        if "CAP_SYS_ADMIN" in o.env.caps:
            assert o.status == "all"
            continue
        assert o.status == "some"
        flag_arg = 1 if o.env.arch.startswith("s390") else 0  # s390 swaps clone's arguments
        blocked = (o.blocked_args + (0,) * 6)[flag_arg]
        passing = (o.allowed_args + (0,) * 6)[flag_arg]
        assert blocked & CLONE_NEW_MASK and not passing & CLONE_NEW_MASK
        assert not decide(prof, o.env, "clone", o.blocked_args).allowed
        assert decide(prof, o.env, "clone", o.allowed_args).allowed
    # every single flag bit: blocked without CAP_SYS_ADMIN iff it is a CLONE_NEW* bit
    env = Environment("amd64", "5.15")
    for bit in range(64):
        flags = 1 << bit
        assert decide(prof, env, "clone", [flags]).allowed == (not flags & CLONE_NEW_MASK), bit
        assert decide(prof, Environment("amd64", "5.15", ADMIN), "clone", [flags]).allowed
    assert not decide(prof, env, "clone", [CLONE_NEWUSER | 0x11]).allowed
    assert decide(prof, env, "clone3").errno == 38  # ENOSYS so that libc falls back to clone


def test_personality_only_listed_values(moby, moby_report):
    r = moby_report.reachability_of("personality")
    assert r.status == "conditional" and not r.when_unrestricted
    env = Environment()
    for v in (0, 8, 0x20000, 0x20008, 0xFFFFFFFF):
        assert decide(moby[1], env, "personality", [v]).allowed
    assert not decide(moby[1], env, "personality", [0x0040000]).allowed  # ADDR_NO_RANDOMIZE


def test_moby_has_no_conflicts_or_redundancy(moby_report):
    assert moby_report.conflicts == () and moby_report.redundant == ()
    assert moby_report.shadowed == () and moby_report.pitfalls == ()
    assert moby_report.unknown == ()


def test_report_is_plain_deterministic_data(moby):
    a, b = analyse(moby[1]), analyse(moby[1])
    ja = json.dumps(a.to_json(), sort_keys=True, ensure_ascii=False)
    assert ja == json.dumps(b.to_json(), sort_keys=True, ensure_ascii=False)
    assert "z3" not in ja
    text = format_report(a)
    assert "ptrace: allowed when" in text and "never allowed:" in text


# --------------------------------------------------------------------------- crafted profiles

def test_redundant_rule_flagged_with_its_line():
    art, prof = crafted([{"names": ["read"], "action": "SCMP_ACT_ALLOW"},
                         {"names": ["chmod"], "action": "SCMP_ACT_ERRNO"}])
    rep = analyse(prof)
    [red] = rep.redundant
    assert red.rule == 1 and red.line == art.span(("syscalls", 1)).line
    # runc skips it: chmod gets the default action
    assert decide(prof, Environment(), "chmod").rule is None


def test_errno_differs_is_not_redundant():
    _, prof = crafted([{"names": ["chmod"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38}])
    assert analyse(prof).redundant == ()


def test_conflict_between_overlapping_rules():
    art, prof = crafted([
        {"names": ["write"], "action": "SCMP_ACT_ALLOW",
         "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_EQ"}]},
        {"names": ["write", "read"], "action": "SCMP_ACT_KILL",
         "args": [{"index": 0, "value": 2, "op": "SCMP_CMP_LE"}]},
        {"names": ["read"], "action": "SCMP_ACT_KILL", "includes": {"caps": ["CAP_SYS_ADMIN"]},
         "args": [{"index": 0, "value": 9, "op": "SCMP_CMP_GT"}]}])
    rep = analyse(prof)
    [c] = rep.conflicts
    assert (c.first, c.second, c.syscalls) == (0, 1, ("write",))
    assert c.args == (1,) and c.first_line == art.span(("syscalls", 0)).line
    d = decide(prof, c.env, "write", c.args)
    assert d.action == "SCMP_ACT_ALLOW" and d.conflicting == (1,)


def test_conflict_needs_a_shared_environment():
    _, prof = crafted([
        {"names": ["clone3"], "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_SYS_ADMIN"]}},
        {"names": ["clone3"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38,
         "excludes": {"caps": ["CAP_SYS_ADMIN"]}}])
    assert analyse(prof).conflicts == ()
    _, prof = crafted([
        {"names": ["clone3"], "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_SYS_ADMIN"]}},
        {"names": ["clone3"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38,
         "includes": {"minKernel": "5.3"}}])
    [c] = analyse(prof).conflicts
    assert "CAP_SYS_ADMIN" in c.env.caps and c.env.kernel >= (5, 3, 0)


def test_shadowed_rule():
    art, prof = crafted([
        {"names": ["openat", "read"], "action": "SCMP_ACT_ALLOW"},
        {"names": ["openat"], "action": "SCMP_ACT_ALLOW",
         "args": [{"index": 0, "value": 5, "op": "SCMP_CMP_EQ"}]},
        {"names": ["read", "write"], "action": "SCMP_ACT_ALLOW", "includes": {"minKernel": "5.0"}}])
    rep = analyse(prof)
    assert [(s.rule, s.syscalls, s.by, s.full) for s in rep.shadowed] == \
        [(1, ("openat",), (0,), True), (2, ("read",), (0,), False)]
    assert rep.shadowed[0].line == art.span(("syscalls", 1)).line


def test_same_argument_conditions_are_ored_by_runc():
    # meant: allow personality only for 10 <= arg0 <= 20; runc ORs the two conditions
    _, prof = crafted([{"names": ["personality"], "action": "SCMP_ACT_ALLOW", "args": [
        {"index": 0, "value": 10, "op": "SCMP_CMP_GE"},
        {"index": 0, "value": 20, "op": "SCMP_CMP_LE"}]}])
    rep = analyse(prof)
    [pit] = rep.pitfalls
    v = pit.args[0]
    assert not (10 <= v <= 20)                   # fails the AND reading ...
    assert decide(prof, Environment(), "personality", pit.args).allowed   # ... yet gets through
    assert rep.reachability_of("personality").status == "always"


def test_or_spreads_to_other_argument_indices():
    # crun#2237's example: "domain is AF_INET or AF_NETLINK, and type is SOCK_DGRAM"
    _, prof = crafted([{"names": ["socket"], "action": "SCMP_ACT_ALLOW", "args": [
        {"index": 0, "value": 2, "op": "SCMP_CMP_EQ"},
        {"index": 0, "value": 16, "op": "SCMP_CMP_EQ"},
        {"index": 1, "value": 2, "op": "SCMP_CMP_EQ"}]}])
    assert decide(prof, Environment(), "socket", [1, 2]).allowed      # AF_UNIX, SOCK_DGRAM
    assert decide(prof, Environment(), "socket", [2, 1]).allowed      # AF_INET, SOCK_STREAM
    assert not decide(prof, Environment(), "socket", [1, 1]).allowed
    # different indices only: AND-ed
    _, prof = crafted([{"names": ["socket"], "action": "SCMP_ACT_ALLOW", "args": [
        {"index": 0, "value": 2, "op": "SCMP_CMP_EQ"},
        {"index": 1, "value": 2, "op": "SCMP_CMP_EQ"}]}])
    assert not decide(prof, Environment(), "socket", [1, 2]).allowed
    assert decide(prof, Environment(), "socket", [2, 2]).allowed
    assert analyse(prof).pitfalls == ()


def test_arch_conditions_in_reachability():
    _, prof = crafted([{"names": ["ioperm"], "action": "SCMP_ACT_ALLOW",
                        "includes": {"arches": ["amd64", "x86"]},
                        "excludes": {"minKernel": "6.0"}}])
    r = analyse(prof).reachability_of("ioperm")
    assert [str(c) for c in r.when_allowed] == ["arch ∈ {amd64, x86} ∧ kernel < 6.0"]
    assert decide(prof, Environment("x86", "5.4"), "ioperm").allowed
    assert not decide(prof, Environment("arm64", "5.4"), "ioperm").allowed
    assert not decide(prof, Environment("amd64", "6.1"), "ioperm").allowed


def test_kernel_interval_condition():
    _, prof = crafted([{"names": ["userfaultfd"], "action": "SCMP_ACT_ALLOW",
                        "includes": {"minKernel": "4.8"}, "excludes": {"minKernel": "5.10"}},
                       {"names": ["userfaultfd"], "action": "SCMP_ACT_ALLOW",
                        "includes": {"caps": ["CAP_SYS_PTRACE"], "minKernel": "6.1"}}])
    r = analyse(prof).reachability_of("userfaultfd")
    assert sorted(map(str, r.when_allowed)) == [
        "CAP_SYS_PTRACE ∧ kernel ≥ 6.1", "kernel ≥ 4.8 ∧ kernel < 5.10"]
