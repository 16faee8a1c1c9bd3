"""Machine verdicts that must never be passes: no initial state, runs that leave a type's
range, rows from a table of named values, assumptions the encoder cannot use."""
import formalc
from formalc import Verdict

AB = "S = {A, B}\nE = {go}\n"


def _result(text, name, engine="auto"):
    return formalc.check(formalc.loads(text, "m.iot"), select=[name], engine=engine).result(name)


def test_no_initial_state_is_unknown_not_proved():
    text = AB + ("machine M {\n  δ: S × E → S\n  initial A\n  param N ∈ 5..1\n  δ(A, go) = B\n}\n"
                 "check p: M ⊨ always state = A\ncheck d: M ⊨ deadlock_free\n")
    for engine in ("auto", "explicit", "symbolic"):
        for name in ("p", "d"):
            r = _result(text, name, engine)
            assert r.verdict is Verdict.UNKNOWN and "no initial state" in r.reason


def test_contradictory_assumptions_are_unknown():
    text = AB + ("Lim: Int\nassume Lim > 5\nassume Lim < 3\n"
                 "machine M {\n  δ: S × E → S\n  initial A\n  δ(A, go) = B when Lim > 0\n}\n"
                 "check p: M ⊨ always state = A\n")
    r = _result(text, "p", "symbolic")
    assert r.verdict is Verdict.UNKNOWN and "no initial state" in r.reason


def test_a_quantity_going_below_zero_shows_in_both_engines():
    text = AB + ("machine M {\n  δ: S × E → S\n  initial A\n  var b: Bytes = 0MiB\n"
                 "  δ(A, go) = B do b := b - 1MiB\n}\ncheck p: M ⊨ always state = A\n")
    for engine in ("explicit", "symbolic"):
        r = _result(text, "p", engine)
        assert r.verdict is Verdict.VIOLATED, engine
        assert [s.event for s in r.trace.steps] == [None, "go"]


def test_rows_from_a_table_of_named_values():
    text = AB + ("Dest := B\nd: S × E → S\nd(A, go) = Dest\n"
                 "machine T {\n  d: S × E → S\n  initial A\n}\ncheck q: T ⊨ always state = A\n")
    r = _result(text, "q")
    assert r.verdict is Verdict.VIOLATED and r.trace.steps[-1].state["state"] == "B"


def test_graph_refuses_a_malformed_trace_without_a_traceback(tmp_path, capsys):
    from formalc.cli import main
    spec = tmp_path / "m.iot"
    spec.write_text(AB + "machine M {\n  δ: S × E → S\n  initial A\n  δ(A, go) = B\n}\n",
                    encoding="utf-8")
    bad = tmp_path / "t.itf.json"
    bad.write_text('{"states": [{"state": "A", "#meta": {"event": ["x"]}}, '
                   '{"state": "B", "#meta": {"event": ["x"]}}]}', encoding="utf-8")
    assert main(["graph", str(spec), "--trace", str(bad)]) == 2
    assert "formalc graph:" in capsys.readouterr().err
