"""Security enforcement, observed: specs/enforcement.iot compiled to OCI configs, probes run in
real runc containers, observed outcomes compared with the verdicts Z3 proves from the spec.

Tests that need runc skip with the runtime's reason when it cannot be used here, and fail
instead when FORMALC_REQUIRE_RUNTIME=1 (so CI on a machine that must have runc notices).
"""
from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from formalc.conform.enforce import (
    Outcome,
    PolicyError,
    Probe,
    RuntimeUnavailable,
    SpecFacts,
    VerdictOracle,
    all_probes,
    check_enforcement,
    classify,
    compile_policy,
    policy_strategy,
    probe_config,
    probe_strategy,
)
from formalc.conform.enforce.catalogue import CATALOGUE

from formalc.testing import require_runtime  # noqa: E402

SPEC = Path(__file__).resolve().parent.parent / "specs" / "enforcement.iot"
MiB = 2**20


@pytest.fixture(scope="module")
def facts() -> SpecFacts:
    return SpecFacts.of(SPEC)


@pytest.fixture
def runc() -> None:
    require_runtime("runc")


# ------------------------------------------------------------------ no runtime needed
def test_missing_runtime_skips_unless_required(monkeypatch):
    from formalc.conform import bundle

    def unavailable(name):
        raise RuntimeUnavailable(f"`{name}` is not installed")
    monkeypatch.setattr(bundle, "probe_runtime", unavailable)
    monkeypatch.delenv("FORMALC_REQUIRE_RUNTIME", raising=False)
    with pytest.raises(pytest.skip.Exception, match="not installed"):
        require_runtime("runc")
    monkeypatch.setenv("FORMALC_REQUIRE_RUNTIME", "1")
    with pytest.raises(pytest.fail.Exception, match="FORMALC_REQUIRE_RUNTIME=1.*runc"):
        require_runtime("runc")
    with pytest.raises(pytest.skip.Exception, match="crun unavailable"):
        require_runtime("crun")      # "1" demands runc only
    monkeypatch.setenv("FORMALC_REQUIRE_RUNTIME", "runc,crun")
    with pytest.raises(pytest.fail.Exception, match="crun is required"):
        require_runtime("crun")


def test_strict_compiles_to_the_oci_config(facts):
    cfg = compile_policy(facts.policy("strict"), facts, ["/bin/sh", "-c", "true"])
    linux = cfg["linux"]
    rules = {r["action"]: r for r in linux["seccomp"]["syscalls"]}
    assert linux["seccomp"]["defaultAction"] == "SCMP_ACT_ALLOW"
    errno = rules["SCMP_ACT_ERRNO"]
    assert errno["errnoRet"] == 1 and {"mkdir", "mkdirat", "mount", "fsopen"} <= set(errno["names"])
    assert set(rules["SCMP_ACT_KILL_PROCESS"]["names"]) == {"ptrace", "personality", "setns"}
    assert cfg["process"]["capabilities"] == {k: ["CAP_NET_BIND_SERVICE"]
                                              for k in ("bounding", "effective", "permitted")}
    assert {n["type"] for n in linux["namespaces"]} == {"pid", "network", "mount", "ipc", "uts",
                                                         "cgroup"}
    assert linux["maskedPaths"] == ["/proc/irq", "/proc/timer_list", "/sys/firmware"]
    assert linux["readonlyPaths"] == ["/etc", "/proc/bus", "/proc/sys"]
    assert linux["resources"]["memory"] == {"limit": 32 * MiB, "swap": 32 * MiB}
    assert linux["resources"]["pids"] == {"limit": 16}
    assert cfg["hostname"] == "formalc"


def test_permissive_compiles_without_rules(facts):
    cfg = compile_policy(facts.policy("permissive"), facts, ["true"])
    assert "seccomp" not in cfg["linux"]
    assert len(cfg["process"]["capabilities"]["bounding"]) == len(facts.caps) == 41
    assert "CAP_SYS_ADMIN" in cfg["process"]["capabilities"]["bounding"]
    assert {n["type"] for n in cfg["linux"]["namespaces"]} == {"pid", "mount", "uts"}
    assert cfg["linux"]["maskedPaths"] == [] and cfg["linux"]["readonlyPaths"] == []


def test_capabilities_this_process_lacks_are_left_out(facts):
    cfg = compile_policy(facts.policy("permissive"), facts, ["true"],
                         grantable=frozenset({"CAP_CHOWN", "CAP_KILL"}))
    assert cfg["process"]["capabilities"]["bounding"] == ["CAP_CHOWN", "CAP_KILL"]


def test_a_policy_runc_cannot_run_is_refused(facts):
    strict = facts.policy("strict")
    with pytest.raises(PolicyError, match="user namespace"):
        compile_policy(dataclasses.replace(strict, namespaces=strict.namespaces | {"USERNS"}),
                       facts, ["true"])
    with pytest.raises(PolicyError, match="add MNTNS"):
        compile_policy(dataclasses.replace(strict, namespaces=frozenset({"PIDNS"})), facts,
                       ["true"])


def test_a_kill_rule_wins_over_an_errno_rule(facts):
    both = dataclasses.replace(facts.policy("strict"), errno=frozenset({"sys_mkdir"}),
                               kill=frozenset({"sys_mkdir"}))
    rules = compile_policy(both, facts, ["true"])["linux"]["seccomp"]["syscalls"]
    assert rules == [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_KILL_PROCESS"}]


def test_z3_forces_the_spec_verdicts(facts):
    oracle = VerdictOracle(facts, "strict")
    cases = {Probe("Mkdir"): Outcome.DENIED, Probe("Setns"): Outcome.KILLED,
             Probe("Symlink"): Outcome.ALLOWED, Probe("Alloc", memory=64 * MiB): Outcome.KILLED,
             Probe("Spawn", tasks=15): Outcome.ALLOWED, Probe("Spawn", tasks=16): Outcome.DENIED,
             Probe("Read", path="ProcTimerList"): Outcome.DENIED,
             Probe("SharesHost", ns="USERNS"): Outcome.ALLOWED}
    for probe, want in cases.items():
        got = oracle.expected(probe)
        assert (got.outcome, got.reason) == (want, None), probe
    assert "Verdict(strict, Probe(kind: Mkdir" in oracle.check_text(Probe("Mkdir"))


def test_z3_says_unknown_when_the_spec_forces_nothing(tmp_path):
    # `Whim` has no table rows: the verdict of a plain operation is any outcome at all.
    text = SPEC.read_text().replace("  else Allowed\n", "  else Whim(q.kind)\n", 1)
    text += "\nWhim: ProbeKind → Outcome\n"
    (tmp_path / "loose.iot").write_text(text)
    oracle = VerdictOracle(SpecFacts.of(tmp_path / "loose.iot"), "permissive")
    got = oracle.expected(Probe("Mkdir"))
    assert got.outcome is Outcome.UNKNOWN and "forces no verdict" in got.reason
    assert oracle.expected(Probe("Spawn", tasks=1)).outcome is Outcome.ALLOWED


# Transcripts seen on this machine (runc 1.1.5, busybox 1.35): exit status, stdout, stderr.
@pytest.mark.parametrize("kind,code,out,err,want", [
    ("Mkdir", 1, "", "mkdir: can't create directory '/tmp/formalc-dir': Operation not permitted",
     Outcome.DENIED),
    ("Mkdir", 0, "FORMALC_OK\n", "", Outcome.ALLOWED),
    ("Personality", 159, "", "", Outcome.KILLED),
    ("Alloc", 137, "", "", Outcome.KILLED),
    ("Mount", 1, "", "mount: permission denied (are you root?)", Outcome.DENIED),
    ("Renice", 1, "", "renice: setpriority: Permission denied", Outcome.DENIED),
    ("Write", 1, "", "touch: /etc/.formalc-probe: Read-only file system", Outcome.DENIED),
    ("Spawn", 2, "", "/bin/sh: can't fork: Resource temporarily unavailable", Outcome.DENIED),
    ("Read", 0, "FORMALC_HIDDEN\n", "", Outcome.DENIED),
    # an EACCES where only EPERM means "denied" is not guessed at
    ("Mkdir", 1, "", "mkdir: can't create directory '/tmp/x': Permission denied",
     Outcome.UNCLASSIFIED),
    ("Mkdir", 1, "", ('level=error msg="runc run failed: unable to apply cgroup '
                      'configuration: operation not permitted"'), Outcome.UNCLASSIFIED),
])
def test_classification(kind, code, out, err, want):
    assert classify(code, out, err, CATALOGUE[kind][1])[0] is want


def test_every_probe_kind_has_a_command(facts):
    assert set(facts.kinds) <= set(CATALOGUE)


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_drawn_probes_are_well_formed(facts, data):
    strict = facts.policy("strict")
    probe = data.draw(probe_strategy(facts, strict))
    cfg, _ = probe_config(strict, facts, probe)
    assert cfg["process"]["args"][:2] == ["/bin/sh", "-c"]
    assert probe.kind != "Spawn" or 1 <= probe.tasks <= 32


# ------------------------------------------------------------------ real runc
def _assert_agrees(report, kinds_seen):
    assert report.ok, report.to_text()
    assert {r.observed for r in report.results} >= kinds_seen, report.to_text()
    json.dumps(report.to_json())


def test_strict_policy_enforced_as_the_spec_says(runc, facts):
    report = check_enforcement(facts, "strict", all_probes(facts, facts.policy("strict")))
    _assert_agrees(report, {Outcome.ALLOWED, Outcome.DENIED, Outcome.KILLED})
    assert report.counts()["probes"] == len(all_probes(facts, facts.policy("strict")))
    assert report.unprobed == ["sys_ptrace", "sys_umount"]


def test_permissive_policy_enforced_as_the_spec_says(runc, facts):
    report = check_enforcement(facts, "permissive", all_probes(facts, facts.policy("permissive")))
    _assert_agrees(report, {Outcome.ALLOWED, Outcome.DENIED, Outcome.KILLED})
    assert report.unprobed == []


def test_hypothesis_drawn_probes_agree(runc, facts):
    report = check_enforcement(facts, "strict", examples=15, seed=3)
    assert report.ok, report.to_text()
    assert report.seed == 3 and 10 <= len(report.results) <= 15


def _drop_mkdir_rule(cfg):
    for rule in cfg["linux"]["seccomp"]["syscalls"]:
        rule["names"] = [n for n in rule["names"] if n not in ("mkdir", "mkdirat")]


def test_compiler_bug_dropping_a_seccomp_rule_is_a_finding(runc, facts):
    strategy = st.sampled_from([Probe("Mkdir"), Probe("Chmod"), Probe("Symlink")])
    report = check_enforcement(facts, "strict", strategy, examples=10, seed=0,
                               transform=_drop_mkdir_rule)
    assert not report.ok and report.exit_code == 1
    [f] = report.findings
    assert (f.probe, f.expected, f.observed) == (Probe("Mkdir"), Outcome.DENIED, Outcome.ALLOWED)
    assert "mkdir" not in json.dumps(f.config["linux"]["seccomp"])
    assert "Verdict(strict, Probe(kind: Mkdir" in f.check_text
    text = report.to_text()
    assert "finding 1: Mkdir: the spec forces Denied, runc observed Allowed" in text
    assert "check_enforcement(" in f.replay and "Probe('Mkdir')" in f.replay
    assert json.loads(json.dumps(report.to_json()))["findings"][0]["expected"] == "Denied"


@pytest.mark.parametrize("bug,probe,expected,observed", [
    (lambda c: c["linux"]["resources"].pop("memory"), Probe("Alloc", memory=64 * MiB),
     Outcome.KILLED, Outcome.ALLOWED),
    (lambda c: c["linux"].update(maskedPaths=[]), Probe("Read", path="ProcTimerList"),
     Outcome.DENIED, Outcome.ALLOWED),
    (lambda c: c["process"]["capabilities"]["bounding"].append("CAP_CHOWN"), Probe("Chown"),
     Outcome.DENIED, Outcome.ALLOWED),
    (lambda c: c["linux"]["seccomp"]["syscalls"][1].update(action="SCMP_ACT_ERRNO",
                                                           errnoRet=1),
     Probe("Personality"), Outcome.KILLED, Outcome.DENIED),
])
def test_other_compiler_bugs_are_findings(runc, facts, bug, probe, expected, observed):
    def transform(cfg):
        bug(cfg)
        return cfg
    report = check_enforcement(facts, "strict", [probe, Probe("Symlink")], transform=transform)
    assert [(f.probe, f.expected, f.observed) for f in report.findings] == [
        (probe, expected, observed)], report.to_text()


@pytest.mark.slow
def test_runc_default_policy_enforced_as_the_spec_says(runc, facts):
    report = check_enforcement(facts, "runcDefault", all_probes(facts, facts.policy("runcDefault")))
    _assert_agrees(report, {Outcome.ALLOWED, Outcome.DENIED, Outcome.KILLED})


@pytest.mark.slow
@settings(max_examples=4, deadline=None, database=None)
@given(data=st.data())
def test_drawn_policies_enforced_as_the_spec_says(facts, data):
    require_runtime("runc")
    drawn = data.draw(policy_strategy(facts))
    report = check_enforcement(facts, drawn, all_probes(facts, drawn))
    assert report.ok, drawn.spec_text() + "\n" + report.to_text()


def test_reading_a_path_that_is_not_there_is_not_a_hidden_path(runc):
    from formalc.conform.bundle import Runtime
    template, denials = CATALOGUE["Read"]
    cmd = template.format(path="/formalc-no-such-path")
    with Runtime("runc") as rt:
        p = rt.run_once("read", rt.bundle(["/bin/sh", "-c", cmd]))
    outcome, detail = classify(p.returncode, p.stdout.decode(), p.stderr.decode(), denials)
    assert outcome is Outcome.UNCLASSIFIED and "no such path" in detail
