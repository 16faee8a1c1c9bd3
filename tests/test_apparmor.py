"""AppArmor profiles: file rules imported with their lines, and audited with the Z3 path
analysis (shadowed rules are findings; allow/deny overlaps and sensitive access are notes)."""
from pathlib import Path

from formalc.artifacts.apparmor import load_apparmor, looks_like_apparmor
from formalc.artifacts.load import load_artifacts
from formalc.audit.run import audit_paths
from formalc.policy.paths import access, parse_policy

PROFILE = Path(__file__).parent / "fixtures" / "apparmor" / "camera.apparmor"


def test_file_rules_keep_their_lines_and_map_exec_modes():
    text = PROFILE.read_text(encoding="utf-8")
    assert looks_like_apparmor(text)
    a = load_apparmor(text, "camera.apparmor")
    assert a.kind == "apparmor" and a.name == "camera-analytics"
    lines = a.value["rules"].split("\n")
    assert lines[7] == "allow /usr/bin/analytics x"  # line 8: `ix` is an execute mode
    assert lines[11] == "deny /proc/sys/** w"  # line 12
    assert lines[4] == "" and lines[5] == ""  # network and capability rules are not file rules
    note = [d for d in a.diagnostics if d.code == "FC603"]
    assert [(d.span.line, d.span.column) for d in note] == [(17, 3)]  # @{PROC} left out, said


def test_deny_wins_whatever_the_order():
    a = load_apparmor(PROFILE.read_text(encoding="utf-8"), "camera.apparmor")
    p = parse_policy(a.value["rules"])
    assert not access(p, "/etc/shadow", "r").allowed
    assert access(p, "/etc/hosts", "r").allowed
    assert not access(p, "/proc/sys/kernel/core_pattern", "w").allowed
    assert access(p, "/proc/sys/kernel/core_pattern", "r").allowed


def test_audit_findings_and_notes():
    r = audit_paths([str(PROFILE)])
    [v] = r.verdicts
    assert v.policy == "PathRulesConsistent" and not v.holds and r.exit_code == 1
    assert [(f.control, f.line) for f in v.findings] == [("PathRuleShadowed", 13)]
    assert "can never decide `w`" in v.findings[0].condition
    assert any("/etc/shadow" in n and "deny rule wins" in n for n in v.notes)
    assert any(n.startswith("the Docker socket is writable") for n in v.notes)
    assert not any("kernel parameters are writable" in n for n in v.notes)


def test_loader_detects_profiles_and_leaves_json_alone(tmp_path):
    f = tmp_path / "usr.bin.cam"
    f.write_text("profile cam /usr/bin/cam {\n  /tmp/** rw,\n}\n", encoding="utf-8")
    arts, diags = load_artifacts(f)
    assert [a.kind for a in arts] == ["apparmor"] and not [d for d in diags if d.is_error]
    j = tmp_path / "x.json"
    j.write_text('{"profile": 1}', encoding="utf-8")
    arts, diags = load_artifacts(j)
    assert arts == [] and any(d.code == "FC608" for d in diags)
