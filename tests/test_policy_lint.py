"""Policy lint: contradictory and vacuous predicates, with witnesses, and `formalc lint`."""
import formalc
from formalc.cli import main
from formalc.policy.lint import lint_predicates

SPEC = """Conf = (privileged: Bool, uid: Int)
Strict(c: Conf) := ¬c.privileged ∧ c.uid > 0 ∧ c.uid < 0
Any(c: Conf) := c.privileged ∨ ¬c.privileged
NonRoot(c: Conf) := ¬c.privileged ∧ c.uid ≠ 0
"""


def test_contradictory_vacuous_and_ok_with_witnesses():
    out = {r.predicate: r for r in lint_predicates(formalc.loads(SPEC, "p.iot"))}
    assert out["Strict"].status == "contradictory" and out["Strict"].line == 2
    assert out["Strict"].satisfying is None and out["Strict"].violating is not None
    assert out["Any"].status == "vacuous" and out["Any"].violating is None
    ok = out["NonRoot"]
    assert ok.status == "ok"
    assert ok.satisfying["c.privileged"] is False and ok.satisfying["c.uid"] != 0
    assert ok.violating["c.privileged"] is True or ok.violating["c.uid"] == 0


def test_records_with_sets_of_records_get_bounded_witnesses():
    spec = formalc.loads("""C = (name: String, privileged: Bool)
Pod = (name: String, hostNetwork: Bool, containers: set C)
NoPriv(p: Pod) := ¬p.hostNetwork ∧ ∀ c ∈ p.containers • ¬c.privileged
Never(p: Pod) := (∃ c ∈ p.containers • c.privileged) ∧ (∀ c ∈ p.containers • ¬c.privileged)
""", "pods.iot")
    out = {r.predicate: r for r in lint_predicates(spec, timeout_s=5)}
    assert out["NoPriv"].status == "ok"
    assert out["Never"].status in ("contradictory", "unknown")  # never claimed ok


def test_cli_exit_codes(tmp_path, capsys):
    p = tmp_path / "p.iot"
    p.write_text(SPEC, encoding="utf-8")
    assert main(["lint", str(p)]) == 1
    text = capsys.readouterr().out
    assert "✘ contradictory  Strict(Conf)" in text and "✘ vacuous       Any(Conf)" in text
    assert main(["lint", str(p), "--predicate", "NonRoot"]) == 0
    assert main(["lint", str(p), "--predicate", "Nope"]) == 2
