"""Machines in the language: bad input gets the right code, position and hint (FC501-FC508,
reserved words, `count`), never a traceback; ASCII and Unicode spellings give the same model.
"""
from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

import pytest

import formalc
from formalc.model.compile import compile_text
from formalc.syntax.parser import parse

ROOT = Path(__file__).resolve().parent.parent

HEAD = "States = {Created, Running, Stopped}\nEvents = {start, stop}\n"  # lines 1-2


def basic(body: str, name: str = "M") -> str:
    """A basic machine at line 3 whose ``body`` starts at line 6 (items indented two spaces)."""
    return (f"machine {name} {{\n  δ: States × Events → States\n  initial Created\n"
            + body + "}\n")


#: A basic machine `Basic` (lines 3-7) for compositions, which start at line 8.
BASIC = HEAD + basic("  δ(Created, start) = Running\n", "Basic")


from diagnostic_asserts import assert_diagnostic, errors, the_error  # noqa: E402


# ----------------------------------------------------------------------------- bad input
CASES = [
    # FC501: names the machine does not have, with "did you mean"
    ("unknown target state", HEAD + basic("  δ(Created, start) = Runing\n"),
     "FC501", 6, 23, "did you mean `Running`?", "`Runing` is not a state of `M`"),
    ("unknown source state", HEAD + basic("  δ(Creatd, start) = Running\n"),
     "FC501", 6, 5, "did you mean `Created`?", "not a member of `States`"),
    ("unknown event", HEAD + basic("  δ(Created, strat) = Running\n"),
     "FC501", 6, 14, "did you mean `start`?", "`strat` is not an event of `M`"),
    ("unknown initial state",
     HEAD + "machine M {\n  δ: States × Events → States\n  initial Create\n"
            "  δ(Created, start) = Running\n}\n",
     "FC501", 5, 11, "did you mean `Created`?", "`Create` is not a state"),
    ("unknown internal event", HEAD + basic("  internal stp\n  δ(Created, start) = Running\n"),
     "FC501", 6, 12, "did you mean `stop`?", "not an event"),
    ("unknown action", HEAD + basic("  δ(Created, start) = Running do Spawn\n"),
     "FC501", 6, 34, None, "neither an effect"),
    ("unknown component in a rule", BASIC + "machine Pool {\n  c[1..3]: Basic\n  d.start\n}\n",
     "FC501", 10, 3, None, "`d` is not a component of `Pool`"),
    ("unknown event of a component", BASIC + "machine Pool {\n  c[1..3]: Basic\n  c.strat\n}\n",
     "FC501", 10, 3, "did you mean `start`?", "`strat` is not an event of `Basic`"),
    ("unknown component machine", BASIC + "machine Pool {\n  c[1..3]: Basc\n}\n",
     "FC501", 9, 12, "did you mean `Basic`?", "`Basc` is not a machine"),
    # FC502: δ must stay a function
    ("conflicting unguarded rows",
     HEAD + basic("  δ(Created, start) = Running\n  δ(Created, start) = Stopped\n"),
     "FC502", 7, 3, "guard both", "two targets, Running and Stopped"),
    # FC503: incomplete or malformed machines
    ("no δ signature", HEAD + "machine M {\n  initial Created\n  δ(Created, start) = Running\n}\n",
     "FC503", 3, 1, "`δ: States × Events → States`", "has no δ signature"),
    ("no initial state", HEAD + "machine M {\n  δ: States × Events → States\n"
                                "  δ(Created, start) = Running\n}\n",
     "FC503", 3, 1, "`initial Created`", "needs exactly one initial state"),
    ("signature with the wrong result",
     HEAD + "machine M {\n  δ: States × Events → Events\n  initial Created\n"
            "  δ(Created, start) = Running\n}\n",
     "FC503", 4, 3, "`δ: States × Events → States`", "must have the signature"),
    ("signature without events",
     HEAD + "machine M {\n  δ: States\n  initial Created\n  δ(Created, start) = Running\n}\n",
     "FC503", 4, 3, "`δ: States × Events → States`", "must have the signature"),
    ("signature over three types",
     HEAD + "machine M {\n  δ: States × Events × Events → States\n  initial Created\n"
            "  δ(Created, start) = Running\n}\n",
     "FC503", 4, 3, None, "must have the signature"),
    ("rows and components in one machine",
     BASIC + "machine Pool {\n  δ: States × Events → States\n  c[1..3]: Basic\n}\n",
     "FC503", 9, 3, "either basic", "both δ rows and components"),
    ("composition with an initial state",
     BASIC + "machine Pool {\n  initial Created\n  c[1..3]: Basic\n}\n",
     "FC503", 9, 11, "component machine", "no `initial` of its own"),
    # FC504: temporal operators only in machine properties
    ("temporal operator in a guard",
     HEAD + basic("  var n: Int = 0\n  δ(Created, start) = Running when always n < 3\n"),
     "FC504", 7, 36, "⊨", "temporal operator `always` in a guard"),
    ("temporal operator in an update",
     HEAD + basic("  var ok: Bool = true\n  δ(Created, start) = Running do ok := next ok\n"),
     "FC504", 7, 40, "⊨", "temporal operator `next`"),
    ("temporal operator in a plain check", "ready: Bool\ncheck c: always ready\n",
     "FC504", 2, 10, "`check name: M ⊨ always …`", "a check without `⊨`"),
    ("until in a plain check", "a: Bool\nb: Bool\ncheck c: a until b\n",
     "FC504", 3, 10, "⊨", "temporal operator `until`"),
    ("leads-to in a definition", "a: Bool\nb: Bool\nP := a ~> b\n",
     "FC504", 3, 6, "⊨", "temporal operator `~>`"),
    # FC505: instance counts need bounds
    ("instance count an uninterpreted constant",
     BASIC + "M2: Int\nmachine Pool {\n  c[1..M2]: Basic\n}\n",
     "FC505", 10, 8, "`param N ∈ 1..200`", "number of instances"),
    # FC506: assignments
    ("assigning a parameter",
     HEAD + basic("  param N ∈ 1..5\n  δ(Created, start) = Running do N := N + 1\n"),
     "FC506", 7, 34, None, "it is a parameter"),
    ("assigning an undeclared variable",
     HEAD + basic("  var restarts: Int = 0\n  δ(Created, start) = Running do restart := 1\n"),
     "FC506", 7, 34, "did you mean `restarts`?", "not a variable of the machine"),
    ("assigning the control state",
     HEAD + basic("  δ(Created, start) = Running do state := Stopped\n"),
     "FC506", 6, 34, None, "the control state"),
    ("assigning a variable twice in one step",
     HEAD + basic("  var n: Int = 0\n  δ(Created, start) = Running do n := 1, n := 2\n"),
     "FC506", 7, 42, None, "assigned twice in one step"),
    ("assigning a variable twice through an effect",
     HEAD + basic("  var n: Int = 0\n  effect bump: n := n + 1\n"
                  "  δ(Created, start) = Running do bump, n := 0\n"),
     "FC506", 8, 40, None, "assigned twice in one step"),
    # FC507: ⊨ only at the top of a check, with a machine on its left
    ("⊨ with a value on its left", HEAD + "ready: Bool\ncheck c: ready ⊨ always ready\n",
     "FC507", 4, 10, None, "`ready` is not a machine"),
    ("⊨ with a misspelt machine", BASIC + "check c: Basc ⊨ deterministic\n",
     "FC507", 8, 10, "did you mean `Basic`?", "`Basc` is not a machine"),
    ("⊨ with an expression on its left", BASIC + "check c: Basic.x ⊨ deterministic\n",
     "FC507", 8, 10, "machine M { … }", "must name a machine"),
    ("⊨ nested in ∧", BASIC + "check c: (Basic ⊨ always state = Created) ∧ true\n",
     "FC507", 8, 10, "`check name: M ⊨ φ`", "only at the top of a check"),
    ("⊨ in a definition", BASIC + "P := Basic ⊨ deterministic\n",
     "FC507", 8, 6, "`check name: M ⊨ φ`", "only at the top of a check"),
    # FC508: counted components have no variables
    ("component with variables",
     HEAD + basic("  var n: Int = 0\n  δ(Created, start) = Running do n := n + 1\n", "Counter")
     + "machine Pool {\n  c[1..3]: Counter\n}\n",
     "FC508", 10, 12, "shared `var`s", "cannot be counted"),
    ("component with parameters",
     HEAD + basic("  param K ∈ 1..3\n  δ(Created, start) = Running\n", "Counter")
     + "machine Pool {\n  c[1..3]: Counter\n}\n",
     "FC508", 10, 12, None, "cannot be counted"),
    # count
    ("count of an unknown component",
     BASIC + "machine Pool {\n  c[1..3]: Basic\n  c.start when count(d, Running) < 2\n}\n",
     "FC501", 10, 16, "components here: c", "`count` takes a component"),
    ("count with three arguments",
     BASIC + "machine Pool {\n  c[1..3]: Basic\n  c.start when count(c, Running, Stopped) < 2\n}\n",
     "FC501", 10, 16, None, "`count` takes a component"),
    ("count of an event",
     BASIC + "machine Pool {\n  c[1..3]: Basic\n  c.start when count(c, start) < 2\n}\n",
     "FC301", 10, 25, "`count(c, Created)`", "must be a state of `Basic`"),
    # reserved words used as names
    ("reserved word as a variable", HEAD + basic("  var next: Int = 0\n"),
     "FC101", 6, 7, "`next` is a reserved word", None),
    ("reserved word as a parameter", HEAD + basic("  param final ∈ 1..3\n"),
     "FC101", 6, 9, "`final` is a reserved word", None),
    ("reserved word as an enumeration", "machine = {a}\n",
     "FC101", 1, 9, "`machine` is a reserved word", None),
    ("reserved word as a member", "States = {a, when}\n",
     "FC101", 1, 14, "`when` is a reserved word", None),
    ("reserved word as a constant", "fair := 3\n",
     "FC101", 1, 1, "`fair` is a reserved word", None),
    ("reserved word as a check name", BASIC + "check always: Basic ⊨ deterministic\n",
     "FC101", 8, 13, "`always` is a reserved word", None),
    ("reserved word as a parameter of a definition", "P(var: Int) := var > 0\n",
     "FC101", 1, 3, "`var` is a reserved word", None),
    ("reserved word as an effect", HEAD + basic("  effect do: Created\n"),
     "FC101", 6, 10, "`do` is a reserved word", None),
]


@pytest.mark.parametrize("text, code, line, col, hint, message", [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_bad_machine_input(text, code, line, col, hint, message):
    assert_diagnostic(the_error(text), code, line, col, hint, message)


def test_conflicting_rows_point_at_the_first_row():
    d = the_error(HEAD + basic("  δ(Created, start) = Running\n  δ(Created, start) = Stopped\n"))
    assert [(m, s.line, s.column) for m, s in d.notes] == [("first row here", 6, 3)]


def test_guarded_rows_with_one_source_do_not_conflict():
    text = HEAD + basic("  var n: Int = 0\n  δ(Created, start) = Running when n < 3\n"
                        "  δ(Created, start) = Stopped when n ≥ 3\n")
    assert errors(text) == []


def test_the_same_row_twice_is_a_warning():
    text = HEAD + basic("  δ(Created, start) = Running\n  δ(Created, start) = Running\n")
    (d,) = formalc.diagnose(text, "t.iot")
    assert (d.code, d.is_error, d.span.line) == ("FC209", False, 7)


def test_assigning_twice_points_at_the_first_assignment():
    d = the_error(HEAD + basic("  var n: Int = 0\n  δ(Created, start) = Running do n := 1, n := 2\n"))
    assert [(s.line, s.column) for _, s in d.notes] == [(7, 34)]


def test_count_outside_a_composition():
    d = the_error(HEAD + basic("  δ(Created, start) = Running when count(c, Running) < 3\n"))
    assert d.code == "FC501" and "composition" in d.message


@pytest.mark.parametrize("formula", ["Basic ⊨ Basic ⊨ deterministic",
                                     "Basic ⊨ state = Running ~> state = Created ~> true"])
def test_chained_models_and_leadsto(formula):
    d = the_error(BASIC + f"check c: {formula}\n")
    assert d.code == "FC101" and "comparisons" not in d.message + (d.hint or "")


# ----------------------------------------------------------------------------- no traceback
BROKEN = {
    "unknown_state.iot": HEAD + basic("  δ(Created, start) = Runing\n"),
    "half_row.iot": HEAD + basic("  δ(Created, start) =\n"),
    "unclosed.iot": HEAD + "machine M {\n  δ: States × Events → States\n  initial Created\n",
    "no_sig.iot": HEAD + "machine M {}\ncheck c: M ⊨ deterministic\n",
    "bad_bound.iot": BASIC + "machine Pool {\n  c[Created..3]: Basic\n}\n",
    "nested.iot": BASIC + "check c: ¬(Basic ⊨ always true)\n",
    "self.iot": HEAD + "machine Pool {\n  c[1..3]: Pool\n}\n",
    "ghost_machine.iot": "check c: Ghost ⊨ always true\n",
    "structural_typo.iot": BASIC + "check c: Basic ⊨ determinstic\n",
    "within_bad.iot": BASIC + "check c: Basic ⊨ next within 3 state = Created\n",
}


def _cli(path: Path) -> subprocess.CompletedProcess:
    import os
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env["PYTHONIOENCODING"] = "utf-8"
    env["FORMALC_NO_CACHE"] = "1"
    return subprocess.run([sys.executable, "-m", "formalc", "check", "--no-color", path.name],
                          check=False, cwd=path.parent, env=env, capture_output=True, text=True,
                          encoding="utf-8", errors="replace", timeout=120)


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_broken_machine_files_exit_2_without_traceback(name, tmp_path):
    path = tmp_path / name
    path.write_text(BROKEN[name], encoding="utf-8")
    p = _cli(path)
    assert "Traceback" not in p.stderr + p.stdout, p.stderr
    assert p.returncode == 2, (p.returncode, p.stdout, p.stderr)
    assert f"--> {name}:" in p.stderr and "error[FC" in p.stderr, p.stderr


def test_fractional_within_bound_is_a_diagnostic(tmp_path):
    path = tmp_path / "within.iot"
    path.write_text(BASIC + "check c: Basic ⊨ always within 2.5 state = Created\n",
                    encoding="utf-8")
    p = _cli(path)
    assert "Traceback" not in p.stderr + p.stdout, p.stderr
    assert p.returncode == 2 and "--> within.iot:8:" in p.stderr


# ----------------------------------------------------------------------------- spellings
UNICODE = """States = {Created, Running, Paused, Stopped, Deleted}
Events = {start, pause, resume, stop, kill, remove, exit}
Actions = {SpawnInit, FreezeCgroup}
machine Lifecycle {
  δ: States × Events → States
  initial Created
  final Deleted
  internal exit
  fair exit
  var restarts: Int = 0
  param N ∈ 1..200
  effect spawn: restarts := restarts + 1, SpawnInit
  δ(Created, start) = Running do SpawnInit
  δ(Created, remove) = Deleted
  δ(Running, stop) = Stopped
  δ(Running, exit) = Stopped
  δ(Running, pause) = Paused do FreezeCgroup
  δ(Paused, resume) = Running
  δ(Stopped, start) = Running when restarts < 3 ∧ restarts ≤ N do spawn
  δ(Stopped, remove) = Deleted
}
machine Basic {
  δ: States × Events → States
  initial Created
  final Deleted
  δ(Created, start) = Running
  δ(Running, stop) = Stopped
  δ(Stopped, remove) = Deleted
}
K := 6
machine Node {
  param N ∈ 1..12
  c[1..N]: Basic
  var mem: Bytes = 0MiB
  fair c.stop
  c.start when count(c, Running) < K do mem := mem + 64MiB
}
check det: Lifecycle ⊨ deterministic
check inv: Node ⊨ always count(c, Running) ≤ K
check del: Lifecycle ⊨ always (state = Deleted ⇒ next state = Deleted)
check live: Lifecycle ⊨ state = Running ~> state = Stopped
check ev: Lifecycle ⊨ eventually within 5 state ≠ Created ∨ ¬(restarts ∈ {1, 2})
check un: Lifecycle ⊨ always (state = Created until state ≠ Created)
"""

SUBST = [  # Unicode -> ASCII, in this order
    ("δ", "delta"), ("×", "*"), ("→", "->"), ("⊨", "models"), ("~>", "leadsto"),
    ("∈", "in"), ("≤", "<="), ("≠", "!="), ("⇒", "=>"), ("∧", "and"), ("∨", "or"),
    ("¬", "not "), ("≥", ">="),
]
SYMBOLS = [("always", "□"), ("eventually", "◇"), ("next", "○"), ("~>", "⤳")]


def _ascii(text: str) -> str:
    for u, a in SUBST:
        text = text.replace(u, a)
    assert not any(ord(ch) > 127 for ch in text), text
    return text


def _model(text: str):
    diags, spec = compile_text(text, "t.iot")
    assert spec is not None, [(d.code, d.message, str(d.span)) for d in diags if d.is_error]
    return spec


def test_ascii_spellings_give_the_same_syntax_tree_and_model():
    ascii_text = _ascii(UNICODE)
    d1, uni = parse(UNICODE, "t.iot")
    d2, asc = parse(ascii_text, "t.iot")
    assert d1 == [] and d2 == []
    assert asc == uni
    a, b = _model(UNICODE), _model(ascii_text)
    assert a.machines == b.machines and set(a.machines) == {"Lifecycle", "Basic", "Node"}
    assert a.checks == b.checks and len(a.checks) == 6


def test_symbol_spellings_of_temporal_operators():
    text = UNICODE
    for word, symbol in SYMBOLS:
        text = text.replace(f" {word} ", f" {symbol} ")
    assert "□" in text and "◇" in text and "○" in text and "⤳" in text
    assert parse(text, "t.iot")[1] == parse(UNICODE, "t.iot")[1]
    assert _model(text).checks == _model(UNICODE).checks


def test_formatting_prints_the_canonical_spellings():
    out = formalc.fmt(_ascii(UNICODE).replace(" always ", " □ "), "t.iot")
    assert out == formalc.fmt(UNICODE, "t.iot")
    assert "δ(Created, start) = Running do SpawnInit\n" in out
    assert "check live: Lifecycle ⊨ state = Running ~> state = Stopped\n" in out
    assert "models" not in out and "delta" not in out and "□" not in out


def test_precedence_of_temporal_operators():
    """⊨ loosest, then ~>, then until (right-associative), then ⇔ …; always / eventually /
    next bind like ¬ (tighter than ∧)."""
    def formula(src: str):
        (item,) = parse(f"check {src}", "t.iot")[1].items
        return item.formula

    assert formula("M ⊨ a ~> b until c until d") == formula("M ⊨ (a ~> (b until (c until d)))")
    assert formula("M ⊨ a ∧ b until c ⇔ d") == formula("M ⊨ ((a ∧ b) until (c ⇔ d))")
    assert formula("M ⊨ always a ∧ b") == formula("M ⊨ (always a) ∧ b")
    assert formula("M ⊨ ¬next a = b") == formula("M ⊨ ¬(next (a = b))")
    assert formula("M ⊨ eventually within 5 a ⇒ b") == formula("M ⊨ (eventually within 5 a) ⇒ b")
    d = formula("M ⊨ always (a ⇒ next a)")
    assert type(d).__name__ == "Models" and d.prop.op == "always" and d.prop.bound is None


def test_spans_of_machine_items():
    (_, _, m) = parse(HEAD + basic("  δ(Created, start) = Running when true do x := 1\n"),
                      "t.iot")[1].items
    assert (m.span.line, m.span.column, m.span.end_column) == (3, 1, 10)  # `machine M`
    row = m.items[-1]
    assert (row.span.line, row.span.column, row.span.end_column) == (6, 3, 50)
    assert dataclasses.replace(row, guard=None, effects=()) != row


def test_structural_property_in_check_sat_is_fc509():
    text = ("States = {Created, Running}\nEvents = {start}\nmachine M {\n  δ: States × Events → States\n"
            "  initial Created\n  δ(Created, start) = Running\n}\ncheck sat d: M ⊨ deterministic\n")
    diags = [d for d in formalc.diagnose(text, "s.iot") if d.is_error]
    assert [(d.code, d.span.line, d.span.column) for d in diags] == [("FC509", 8, 14)]
    assert diags[0].hint == "write `check name: M ⊨ deterministic`"
