"""The formatter: parse(fmt(x)) is x, fmt is idempotent, ASCII and Unicode spellings agree.

The key property is checked on random syntax trees (Hypothesis): printing a tree with
``format_module`` and parsing the text again gives the same tree (trees compare without spans).
"""
from __future__ import annotations

import dataclasses
import re
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import formalc
from formalc.model.compile import compile_text
from formalc.syntax import ast
from formalc.syntax.parser import parse
from formalc.syntax.printer import format_expr, format_module, format_text

ROOT = Path(__file__).resolve().parent.parent
BUNDLED = sorted((ROOT / "specs").glob("*.iot"))


def _module(text: str, name: str = "t.iot") -> ast.Module:
    diags, mod = parse(text, name)
    assert not [d for d in diags if d.is_error], [(d.code, d.message, str(d.span)) for d in diags]
    return mod


def _without_line_names(spec, stem: str):
    """Unnamed checks and assumptions are named ``file:line``; formatting moves lines."""
    pat = re.compile(re.escape(stem) + r":\d+")

    def fix(xs):
        return tuple(dataclasses.replace(x, name=f"#{i}") if pat.fullmatch(x.name) else x
                     for i, x in enumerate(xs))

    return dataclasses.replace(spec, checks=fix(spec.checks), assumptions=fix(spec.assumptions))


# --------------------------------------------------------------------------- a fixed sample
SAMPLE = r"""// A small, compilable spec exercising most of the language.
States = {Created, Running, Paused}
Events = {start, pause, resume}
Capability = {SYS_ADMIN, SYS_MODULE, NET_RAW}
Dangerous = {SYS_ADMIN, SYS_MODULE}   // a named subset
@def 3.1
EdgeNode = (name: String, cpu: CPU, memory: Bytes, security: Int)
δ: States * Events -> States
delta(Created, start) = Running
delta(Running, pause) = Paused
delta(Paused, resume) = Running
threshold: Ratio
/* predicates
   and metrics */
Fast(n: EdgeNode) := n.cpu >= 500m and n.memory > 512MiB
Load(F: set EdgeNode) := sum n in F :: n.cpu
e1 := EdgeNode(name: "a\"b // not a comment", cpu: 4, memory: 8GiB, security: 3)
e2 := EdgeNode(name: "b", cpu: 1.50, memory: 1GiB, security: 1)
Nodes := {e1, e2}
assume t: threshold <= 80% && threshold > 0
check fast: Fast(e1)
check load: (sum n in Nodes :: n.cpu) <= 6 and Load(Nodes) = 5.5
check sat witness: exists s: States :: delta(s, start) = Running
check forall s in States, s != Paused :: not (delta(s, pause) = Created)
check |{n in Nodes | n.security >= 2}| / |Nodes| >= 1/2
check if e1.cpu > e2.cpu then e1.security > 2 else true
check -e2.cpu < 0 => false
check SYS_ADMIN in Dangerous and NET_RAW notin Dangerous and Dangerous subset Capability
"""

SAMPLE_FORMATTED = r"""// A small, compilable spec exercising most of the language.
States = {Created, Running, Paused}
Events = {start, pause, resume}
Capability = {SYS_ADMIN, SYS_MODULE, NET_RAW}
Dangerous = {SYS_ADMIN, SYS_MODULE} // a named subset

@def 3.1
EdgeNode = (name: String, cpu: CPU, memory: Bytes, security: Int)

δ: States × Events → States
δ(Created, start) = Running
δ(Running, pause) = Paused
δ(Paused, resume) = Running
threshold: Ratio

/* predicates
   and metrics */
Fast(n: EdgeNode) := n.cpu ≥ 500m ∧ n.memory > 512MiB
Load(F: set EdgeNode) := Σ n ∈ F • n.cpu
e1 := EdgeNode(name: "a\"b // not a comment", cpu: 4, memory: 8GiB, security: 3)
e2 := EdgeNode(name: "b", cpu: 1.5, memory: 1GiB, security: 1)
Nodes := {e1, e2}

assume t: threshold ≤ 80% ∧ threshold > 0

check fast: Fast(e1)
check load: (Σ n ∈ Nodes • n.cpu) ≤ 6 ∧ Load(Nodes) = 5.5
check sat witness: ∃ s: States • δ(s, start) = Running
check ∀ s ∈ States, s ≠ Paused • ¬δ(s, pause) = Created
check |{n ∈ Nodes | n.security ≥ 2}| / |Nodes| ≥ 1 / 2
check if e1.cpu > e2.cpu then e1.security > 2 else true
check -e2.cpu < 0 ⇒ false
check SYS_ADMIN ∈ Dangerous ∧ NET_RAW ∉ Dangerous ∧ Dangerous ⊆ Capability
"""


def test_sample_formats_to_canonical_text():
    out = formalc.fmt(SAMPLE, "sample.iot")
    assert out == SAMPLE_FORMATTED
    assert formalc.fmt(out, "sample.iot") == out


def test_sample_round_trip_gives_equal_module_and_spec():
    out = format_text(SAMPLE, "sample.iot")
    assert _module(out, "sample.iot") == _module(SAMPLE, "sample.iot")
    d1, s1 = compile_text(SAMPLE, "sample.iot")
    d2, s2 = compile_text(out, "sample.iot")
    assert s1 is not None, [(d.code, d.message) for d in d1]
    assert s2 is not None, [(d.code, d.message) for d in d2]
    assert len(s1.checks) == 8 and len(s1.assumptions) == 1
    assert _without_line_names(s1, "sample") == _without_line_names(s2, "sample")


# --------------------------------------------------------------------------- bundled specs
@pytest.mark.parametrize("path", BUNDLED, ids=[p.name for p in BUNDLED])
def test_bundled_spec_round_trip(path: Path):
    text = path.read_text("utf-8")
    out = format_text(text, path.name)
    assert _module(out, path.name) == _module(text, path.name)
    assert format_text(out, path.name) == out  # idempotent
    d1, s1 = compile_text(text, path.name, base=path.parent)
    if s1 is not None:
        d2, s2 = compile_text(out, path.name, base=path.parent)
        assert s2 is not None, [(d.code, d.message, str(d.span)) for d in d2]
        assert _without_line_names(s1, path.stem) == _without_line_names(s2, path.stem)


# --------------------------------------------------------------------------- precedence
@pytest.mark.parametrize("src, expected", [
    ("a and (b and c)", "a ∧ (b ∧ c)"),
    ("(a and b) and c", "(a ∧ b) ∧ c"),
    ("a and b and c", "a ∧ b ∧ c"),
    ("(a or b) and c", "(a ∨ b) ∧ c"),
    ("a or b and c", "a ∨ b ∧ c"),
    ("a => b => c", "a ⇒ b ⇒ c"),
    ("(a => b) => c", "(a ⇒ b) ⇒ c"),
    ("a <=> (b <=> c)", "a ⇔ (b ⇔ c)"),
    ("a => b <=> c", "a ⇒ b ⇔ c"),
    ("a => (b <=> c)", "a ⇒ (b ⇔ c)"),
    ("not not a", "¬¬a"),
    ("not (a and b)", "¬(a ∧ b)"),
    ("(not a) = b", "(¬a) = b"),
    ("(a = b) = c", "(a = b) = c"),
    ("a - (b - c)", "a - (b - c)"),
    ("(a - b) - c", "(a - b) - c"),
    ("a - b - c", "a - b - c"),
    ("a * (b / c)", "a × (b / c)"),
    ("(a + b) * c", "(a + b) × c"),
    ("a + b * c", "a + b × c"),
    ("-(-a)", "-(-a)"),
    ("- a * b", "-a × b"),
    ("-(a * b)", "-(a × b)"),
    ("(a + b).cpu", "(a + b).cpu"),
    ("(-a).cpu", "(-a).cpu"),
    ("f(x)(y).z", "f(x)(y).z"),
    ("(sum n in F :: n.cpu) <= 4", "(Σ n ∈ F • n.cpu) ≤ 4"),
    ("sum n in F :: n.cpu <= 4", "(Σ n ∈ F • n.cpu) ≤ 4"),
    ("4 >= sum n in F :: n.cpu + 1", "4 ≥ Σ n ∈ F • n.cpu + 1"),
    ("(sum n in F :: n.cpu) + 1", "(Σ n ∈ F • n.cpu) + 1"),
    ("sum n in F :: (n.cpu = 1)", "Σ n ∈ F • (n.cpu = 1)"),
    ("(forall x in S :: P(x)) and Q", "(∀ x ∈ S • P(x)) ∧ Q"),
    ("Q and forall x in S :: P(x) and R", "Q ∧ ∀ x ∈ S • P(x) ∧ R"),
    ("not (forall x: T :: P) or Q", "¬(∀ x: T • P) ∨ Q"),
    ("(if a then b else c) + 1", "(if a then b else c) + 1"),
    ("1 + if a then b else c + 1", "1 + if a then b else c + 1"),
    ("(set a)(b)", "(set a)(b)"),
    ("set a(b)", "set a(b)"),
    ("set (a + b)", "set (a + b)"),
    ("| |S| |", "| |S| |"),
    ("|{x in S | |x| = 1}|", "|{x ∈ S | |x| = 1}|"),
    ("{(forall x: T :: P) | y in S}", "{(∀ x: T • P) | y ∈ S}"),
    ("exists x in S, (forall y: T :: P) :: Q", "∃ x ∈ S, (∀ y: T • P) • Q"),
    ("2.50 + 007 + 2.0 + 0.125 + 1.5GiB + 80% + 20ms", "2.5 + 7 + 2.0 + 0.125 + 1.5GiB + 80% + 20ms"),
    ('"tab\\there \\"q\\" back\\\\slash"', '"tab\\there \\"q\\" back\\\\slash"'),
    ("{} = {a} union {b, c} \\ {d} inter e", "{} = {a} ∪ {b, c} \\ {d} ∩ e"),
    ("2.x + 2.5.x + 3s.x", "2.x + 2.5.x + 3s.x"),
])
def test_minimal_parentheses(src: str, expected: str):
    out = formalc.fmt(f"check {src}")
    assert out == f"check {expected}\n"
    assert _module(out) == _module(f"check {src}")


# --------------------------------------------------------------------------- ASCII vs Unicode
UNICODE_SPEC = """import lifecycle
import "../common/types.iot"
S = {a, b}
f: S × S → S
f(a, b) = a
P(x: S, y: set S) := ∀ z ∈ y • z ≠ x ∧ ¬(z = a) ∨ x ∈ y ⇒ y ⊆ S ⇔ x ∉ {a}
M(y) := Σ z ∈ y, z ≠ a • |y ∪ S| × 2 / |y ∩ S| - 1
c := 3
check sat name: ∃ x: S • x ≤ c ∧ x ≥ 1 ∧ x < 2 ∧ x > 0 ∧ ⊤ ∨ ⊥
check ∀ x ∈ S · P(x, S)
"""

ASCII_SPEC = """import lifecycle
import "../common/types.iot"
S = {a, b}
f: S * S -> S
f(a, b) = a
P(x: S, y: set S) ≔ forall z in y :: z != x and not (z = a) or x in y => y subset S <=> x notin {a}
M(y) ≜ sum z in y, z != a :: |y union S| * 2 / |y inter S| - 1
c := 3
check sat name: exists x: S :: x <= c && x >= 1 and x < 2 and x > 0 and true || false
check forall x in S :: P(x, S)
"""

ASCII_WORDS_SPEC = """import lifecycle
import "../common/types.iot"
S = {a, b}
f: S * S -> S
f(a, b) = a
P(x: S, y: set S) := forall z in y :: z != x and !(z = a) || x in y implies y subset S iff x notin {a}
M(y) := ∑ z in y, z != a :: |y union S| * 2 / |y inter S| - 1
c := 3
check sat name: exists x: S :: x <= c and x >= 1 and x < 2 and x > 0 and true or false
check forall x in S :: P(x, S)
"""


def test_ascii_and_unicode_spellings_agree():
    uni = _module(UNICODE_SPEC)
    assert _module(ASCII_SPEC) == uni
    assert _module(ASCII_WORDS_SPEC) == uni
    out = format_text(UNICODE_SPEC, "t.iot")
    assert format_text(ASCII_SPEC, "t.iot") == out
    assert format_text(ASCII_WORDS_SPEC, "t.iot") == out
    assert "forall" not in out and "=>" not in out and "::" not in out and " in " not in out
    # ¬ binds looser than a comparison, so `¬(z = a)` needs no parentheses
    assert "P(x: S, y: set S) := ∀ z ∈ y • z ≠ x ∧ ¬z = a ∨ x ∈ y ⇒ y ⊆ S ⇔ x ∉ {a}\n" in out


# --------------------------------------------------------------------------- comments
def test_comments_kept_on_own_lines_and_line_ends():
    text = ("// head\n\n\nx := 1   // one\n/* two */ y := 2\n"
            "check c: x\n  // inside\n  < y\n// tail\n")
    out = format_text(text)
    assert out == ("// head\n\nx := 1 // one\n/* two */\ny := 2\n\n// inside\n"
                   "check c: x < y\n// tail\n")
    assert format_text(out) == out
    assert _module(out) == _module(text)


def test_blank_lines_kept_and_added_by_the_layout_rule():
    text = """// c1


// c2
import a
// c3

/* c4 */ x := 1 // t1
 // t2
check x  /* in */ = 2 /* t3 */ /* t4 */
@def 4.1 f(a) = 1 @def 4.1 f(b) = 2 @def 4.2 f(c) = 3
y := 2 z := 3

w := 4
// end
"""
    out = format_text(text)
    assert out == """// c1

// c2
import a

// c3

/* c4 */
x := 1 // t1

// t2
/* in */
check x = 2 /* t3 */ /* t4 */

@def 4.1
f(a) = 1
@def 4.1
f(b) = 2

@def 4.2
f(c) = 3

y := 2
z := 3

w := 4
// end
"""
    assert format_text(out) == out
    assert _module(out) == _module(text)


def test_no_items():
    assert format_text("") == ""
    assert format_text("  \n\n") == ""
    assert format_text("// only a comment\n") == "// only a comment\n"
    assert format_module(ast.Module("x", ())) == ""


def test_annotations_on_their_own_lines():
    text = '@def 3.10 @doc "see §3" @flag check a: x ⇒ y  @def "2" S = {p}'
    out = format_text(text)
    assert out == '@def 3.10\n@doc "see §3"\n@flag\ncheck a: x ⇒ y\n\n@def 2\nS = {p}\n'
    assert _module(out) == _module(text)


# --------------------------------------------------------------------------- syntax errors
@pytest.mark.parametrize("text, code, line", [
    ("x := 1\ncheck a ∧\n", "FC103", 2),
    ("x := 1\n\nx := 3;\n", "FC102", 3),
    ("S = {a}\ncheck := 3\n", "FC101", 2),
])
def test_fmt_of_bad_text_raises_spec_error(text, code, line):
    with pytest.raises(formalc.SpecError) as info:
        formalc.fmt(text, "bad.iot")
    diags = info.value.diagnostics
    assert diags and diags[0].code == code
    assert all(d.code in {"FC101", "FC102", "FC103"} for d in diags)
    assert diags[0].span is not None and diags[0].span.line == line
    assert diags[0].span.file == "bad.iot"
    assert info.value.sources == {"bad.iot": text}


# --------------------------------------------------------------------------- random trees
RESERVED = {"import", "check", "assume", "sat", "valid", "iff", "implies", "or", "and", "not",
            "in", "notin", "subset", "union", "inter", "forall", "exists", "sum", "set",
            "true", "false", "if", "then", "else", "delta",
            "machine", "initial", "final", "internal", "fair", "var", "param", "effect", "when",
            "do", "always", "eventually", "next", "within", "until", "models", "leadsto",
            "schedule", "minimize"}
# `delta` is normalised to `δ` by the parser (so a tree holding "delta" cannot come back).

# Names that start with a keyword test the lexer's word boundaries.
TRICKY = ["sets", "input", "iffy", "notes", "orders", "android", "forall2", "summary", "thence",
          "elsewhere", "truth", "falsey", "checks", "imports", "_", "δ", "α_1", "Created", "x",
          "y", "S", "cpu", "T0", "ms", "s", "MiB", "machines", "finally", "variable", "done",
          "whenever", "nextstate", "untilx", "fairness", "state", "count", "scheduled",
          "minimizer", "replicas", "capacity", "near", "cost", "nodes", "services"]

names = st.one_of(
    st.sampled_from(TRICKY),
    st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,6}", fullmatch=True),
).filter(lambda s: s not in RESERVED)

UNITS = ["m", "B", "KB", "MB", "GB", "TB", "KiB", "MiB", "GiB", "TiB", "ns", "us", "µs", "ms",
         "s", "min", "h", "bps", "Kbps", "Mbps", "Gbps", "%"]
units = st.one_of(st.sampled_from(UNITS), st.from_regex(r"[A-Za-z]{1,4}", fullmatch=True))

decimals = st.builds(lambda n, k: Fraction(n, 10 ** k), st.integers(0, 10 ** 7), st.integers(0, 5))

numbers = st.one_of(
    st.builds(lambda n: ast.Number(Fraction(n), True), st.integers(0, 10 ** 12)),
    st.builds(lambda v: ast.Number(v, False), decimals),
)
quantities = st.builds(ast.Quantity, decimals, units)
strings = st.builds(ast.String, st.lists(
    st.one_of(st.sampled_from(list('"\\\n\t /*|{}∀•:=') + ["//", "/*", "*/", "\\n"]),
              st.characters(blacklist_categories=("Cs",))), max_size=8).map("".join))
booleans = st.builds(ast.BoolLit, st.booleans())
name_exprs = st.builds(ast.Name, names)

types = st.recursive(st.builds(ast.NamedType, names), lambda t: st.builds(ast.SetType, t),
                     max_leaves=3)

ADD_OPS = ["+", "-", "∪", "\\"]
MUL_OPS = ["×", "/", "∩"]
CMP_OPS = ["=", "≠", "<", "≤", ">", "≥", "∈", "∉", "⊆"]


def _chain(ops):
    @st.composite
    def build(draw, children):
        operands = draw(st.lists(children, min_size=2, max_size=4))
        chosen = draw(st.lists(st.sampled_from(ops), min_size=len(operands) - 1,
                               max_size=len(operands) - 1))
        return ast.Chain(tuple(chosen), tuple(operands))
    return build


def _extend(children):
    kids = st.lists(children, min_size=1, max_size=3).map(tuple)
    items = st.lists(st.one_of(st.builds(ast.TypedBinder, names, types), children),
                     min_size=1, max_size=3).map(tuple)
    args = st.lists(st.builds(ast.Arg, st.one_of(st.none(), names), children),
                    max_size=3).map(tuple)
    return st.one_of(
        st.builds(ast.Unary, st.sampled_from(["¬", "-"]), children),
        st.builds(ast.Nary, st.sampled_from(["∧", "∨", "⇔"]),
                  st.lists(children, min_size=2, max_size=4).map(tuple)),
        st.builds(ast.Implies, children, children),
        st.builds(ast.Compare, st.sampled_from(CMP_OPS), children, children),
        _chain(ADD_OPS)(children),
        _chain(MUL_OPS)(children),
        st.builds(ast.Call, children, args),
        st.builds(ast.FieldAccess, children, names),
        st.builds(ast.SetLit, kids),
        st.builds(ast.SetCompr, children, items),
        st.builds(ast.Card, children),
        st.builds(ast.Quant, st.sampled_from(["∀", "∃"]), items, children),
        st.builds(ast.Sum, items, children),
        st.builds(ast.Ite, children, children, children),
        st.builds(ast.SetOf, children),
        st.builds(ast.Temporal, st.sampled_from(["always", "eventually", "next"]),
                  st.tuples(children), st.one_of(st.none(), st.integers(0, 1000))),
        st.builds(ast.Temporal, st.sampled_from(["until", "~>"]), st.tuples(children, children)),
        st.builds(ast.Models, children, children),
    )


leaves = st.one_of(name_exprs, numbers, quantities, strings, booleans,
                   st.just(ast.SetLit(())))
exprs = st.recursive(leaves, _extend, max_leaves=16)

annotations = st.lists(st.builds(
    ast.Annotation, names,
    st.one_of(st.none(), st.from_regex(r"\d{1,2}(\.\d{1,2})?", fullmatch=True),
              st.from_regex(r"[a-z §.0-9]{0,8}", fullmatch=True))), max_size=2).map(tuple)
params = st.lists(st.one_of(
    st.builds(ast.Arg, names, st.one_of(name_exprs, st.builds(ast.SetOf, name_exprs))),
    st.builds(ast.Arg, st.none(), name_exprs)), max_size=3).map(tuple)
opt_names = st.one_of(st.none(), names)

evrefs = st.builds(ast.EvRef, st.none(), names)
comp_evrefs = st.builds(ast.EvRef, names, names)
do_items = st.lists(st.one_of(st.builds(ast.Assign, names, exprs), st.builds(ast.ActionRef, names)),
                    min_size=1, max_size=3).map(tuple)
opt_exprs = st.one_of(st.none(), exprs)
machine_items = st.one_of(
    st.builds(ast.MSig, names, st.lists(types, min_size=1, max_size=3).map(tuple), types),
    st.builds(ast.MStates, st.sampled_from(["initial"]), st.tuples(evrefs)),
    st.builds(ast.MStates, st.sampled_from(["final", "internal"]),
              st.lists(evrefs, min_size=1, max_size=3).map(tuple)),
    st.builds(ast.MStates, st.just("fair"),
              st.lists(st.one_of(evrefs, comp_evrefs), min_size=1, max_size=3).map(tuple)),
    st.builds(ast.MVar, names, types, opt_exprs),
    st.builds(ast.MParam, names, exprs, exprs),
    st.builds(ast.MEffect, names, do_items),
    st.builds(ast.MRow, names, name_exprs, name_exprs, name_exprs, opt_exprs,
              st.one_of(st.just(()), do_items)),
    st.builds(ast.MComponent, names, exprs, exprs, name_exprs),
    st.builds(ast.MSync, st.lists(comp_evrefs, min_size=1, max_size=3).map(tuple), opt_exprs,
              st.one_of(st.just(()), do_items)),
)

schedule_items = st.one_of(
    st.builds(ast.SDomain, st.sampled_from(["services", "nodes"]), names, exprs),
    st.builds(ast.SValue, st.just("replicas"), exprs),
    st.builds(ast.SRule, st.sampled_from(["capacity", "require", "cost"]), names, exprs),
    st.builds(ast.SPair, st.sampled_from(["near", "apart"]), names, names, names, exprs),
    st.builds(ast.SMinimize, exprs),
)

module_items = st.one_of(
    st.builds(ast.Import, st.from_regex(r"[a-z]{1,5}(\.[a-z]{1,5}){0,2}", fullmatch=True)
              .filter(lambda s: not set(s.split(".")) & RESERVED), st.just(False)),
    st.builds(ast.Import, st.from_regex(r"(\.\./)?[a-z_/]{1,10}\.iot", fullmatch=True),
              st.just(True)),
    st.builds(ast.EnumDecl, names, st.lists(name_exprs, max_size=4).map(tuple), annotations),
    st.builds(ast.TupleDecl, names,
              st.lists(st.builds(ast.FieldDecl, opt_names, types), min_size=1, max_size=3)
              .map(tuple), annotations),
    st.builds(ast.FuncSig, names, st.lists(types, min_size=1, max_size=3).map(tuple), types,
              annotations),
    st.builds(ast.ValueSig, names, types, annotations),
    st.builds(ast.DefDecl, names, params, exprs, annotations),
    st.builds(ast.ConstDecl, names, exprs, annotations),
    st.builds(ast.EntryDecl, names,
              st.lists(st.builds(ast.Arg, st.none(), st.one_of(name_exprs, numbers)),
                       max_size=3).map(tuple), exprs, annotations),
    # the grammar takes any arguments in a table row or a definition's head
    st.builds(ast.EntryDecl, names, st.lists(st.builds(ast.Arg, opt_names, exprs), max_size=2)
              .map(tuple), exprs, annotations),
    st.builds(ast.DefDecl, names, st.lists(st.builds(ast.Arg, opt_names, exprs), max_size=2)
              .map(tuple), exprs, annotations),
    st.builds(ast.CheckStmt, st.sampled_from(["valid", "sat"]), opt_names, exprs, annotations),
    st.builds(ast.AssumeStmt, opt_names, exprs, annotations),
    st.builds(ast.MachineDecl, names, st.lists(machine_items, max_size=5).map(tuple), annotations),
    st.builds(ast.ScheduleDecl, names, st.lists(schedule_items, max_size=5).map(tuple),
              annotations),
)
modules = st.builds(lambda items: ast.Module("gen.iot", tuple(items)),
                    st.lists(module_items, max_size=6))

SETTINGS = settings(max_examples=200, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@SETTINGS
@given(exprs)
def test_random_expressions_round_trip(e):
    text = "check " + format_expr(e)
    diags, back = parse(text, "gen.iot")
    assert diags == [], (text, [(d.code, d.message, str(d.span)) for d in diags])
    assert back.items == (ast.CheckStmt("valid", None, e),), text


# Each Unicode spelling and its ASCII alternatives (every one must give the same tree).
ASCII = {
    "∧": ["and", "&&"], "∨": ["or", "||"], "¬": ["not", "!"], "⇒": ["=>", "implies"],
    "⇔": ["<=>", "iff"], "∀": ["forall"], "∃": ["exists"], "Σ": ["sum", "∑"],
    "•": ["::", "·"], "∈": ["in"], "∉": ["notin"], "⊆": ["subset"], "∪": ["union"],
    "∩": ["inter"], "×": ["*"], "≤": ["<="], "≥": [">="], "≠": ["!="], "→": ["->"],
    ":=": ["≔", "≜"], "⊨": ["models"],
}
_TOKEN = re.compile(r'"(?:[^"\\\n]|\\.)*"|:=|[' + "".join(k for k in ASCII if len(k) == 1) + "]")


@SETTINGS
@given(modules, st.randoms(use_true_random=False))
def test_random_modules_round_trip(module: ast.Module, rnd):
    """parse(fmt(m)) == m; fmt is idempotent; any ASCII respelling parses to m as well."""
    text = format_module(module)
    diags, back = parse(text, "gen.iot")
    assert diags == [], (text, [(d.code, d.message, str(d.span)) for d in diags])
    assert back == module, text
    assert format_text(text, "gen.iot") == text  # idempotent

    def respell(m: re.Match) -> str:
        tok = m.group(0)
        if tok.startswith('"'):
            return tok  # strings keep their text
        return f" {rnd.choice(ASCII[tok])} "

    ascii_text = _TOKEN.sub(respell, text)
    diags, back = parse(ascii_text, "gen.iot")
    assert diags == [], (ascii_text, [(d.code, d.message, str(d.span)) for d in diags])
    assert back == module, ascii_text
    assert format_text(ascii_text, "gen.iot") == text


def test_deep_nesting_prints():
    e: ast.Expr = ast.Name("x")
    for i in range(150):
        e = ast.Nary("∧", (ast.Name("a"), e)) if i % 2 else ast.Unary("-", e)
    text = "check " + format_expr(e)
    assert _module(text).items[0].formula == e


@pytest.mark.parametrize("path", sorted((ROOT / "specs").glob("*.iot")) + sorted((ROOT / "examples").glob("*.iot")),
                         ids=lambda p: p.name)
def test_line_breaking_keeps_the_tree(path, monkeypatch):
    """With a tiny width every breakable construct is broken: the text must still parse to the
    same tree, and formatting the result again must give it back unchanged."""
    from formalc.syntax import printer
    text = path.read_text(encoding="utf-8")
    diags, original = parse(text, path.name)
    assert not diags
    wide = printer.format_module(original)
    monkeypatch.setattr(printer, "WIDTH", 12)
    narrow = printer.format_module(original)
    assert max(len(line) for line in narrow.splitlines()) > 12  # long atoms stay whole
    assert narrow.count("\n") > wide.count("\n")   # (comments are not part of the tree)
    d2, again = parse(narrow, path.name)
    assert not d2 and again == original
    assert printer.format_module(again) == narrow


def test_long_items_are_wrapped_at_connectives():
    text = ("Node = (cpu: CPU, memory: Bytes)\n"
            "Fits(n: Node) := n.cpu ≤ 4 ∧ n.memory ≤ 8GiB ∧ n.cpu ≥ 500m ∧ n.memory ≥ 512MiB ∧ "
            "n.cpu ≠ 3 ∧ n.memory ≠ 1GiB ∧ n.cpu ≠ 7\n")
    out = format_text(text)
    assert out.splitlines()[2:] == [
        "Fits(n: Node) :=",
        "  n.cpu ≤ 4 ∧",
        "  n.memory ≤ 8GiB ∧",
        "  n.cpu ≥ 500m ∧",
        "  n.memory ≥ 512MiB ∧",
        "  n.cpu ≠ 3 ∧",
        "  n.memory ≠ 1GiB ∧",
        "  n.cpu ≠ 7",
    ]


# --------------------------------------------------------------------------- machines
MACHINES = """// machines
States = {Created, Running, Paused, Stopped, Deleted}
Events = {start, pause, resume, stop, kill, remove, exit}
Actions = {SpawnInit, FreezeCgroup}
@def 3.1
machine Lifecycle {   // the lifecycle
  // its signature
  δ: States * Events -> States
  initial Created final Deleted, Stopped   // two items on one line
  internal exit
  fair exit

  var restarts: Int = 0
  param N in 1..200
  effect spawn: restarts := restarts + 1, SpawnInit     // named effect
  δ(Created, start) = Running do SpawnInit
  δ(Stopped, start) = Running when restarts < 3 /* inside */ and N > 2 do spawn
  // before the brace
} // after the brace
machine Empty {}
K := 6
machine Node { param N ∈ 1..12  c[1..N]: Lifecycle
  var mem: Bytes = 0MiB
  c.start, c.resume when count(c, Running) < K do mem := mem + 64MiB
  fair c.exit, c.start }
check inv: Node models always count(c, Running) ≤ K
check del: Lifecycle ⊨ □ (state = Deleted ⇒ ○ state = Deleted)
check live: Lifecycle ⊨ state = Running leadsto state = Stopped
check u: Lifecycle ⊨ (a until b until c) ~> eventually within 5 ¬always within 3 (p ∧ q)
check v: Lifecycle ⊨ ((∀ x ∈ S • p(x)) until q) ~> (a ~> b) ∨ (a until b) until c
"""

MACHINES_FORMATTED = """// machines
States = {Created, Running, Paused, Stopped, Deleted}
Events = {start, pause, resume, stop, kill, remove, exit}
Actions = {SpawnInit, FreezeCgroup}

@def 3.1
machine Lifecycle { // the lifecycle
  // its signature
  δ: States × Events → States
  initial Created
  final Deleted, Stopped // two items on one line
  internal exit
  fair exit

  var restarts: Int = 0
  param N ∈ 1..200
  effect spawn: restarts := restarts + 1, SpawnInit // named effect
  δ(Created, start) = Running do SpawnInit
  /* inside */
  δ(Stopped, start) = Running when restarts < 3 ∧ N > 2 do spawn
  // before the brace
} // after the brace

machine Empty {}

K := 6

machine Node {
  param N ∈ 1..12
  c[1..N]: Lifecycle
  var mem: Bytes = 0MiB
  c.start, c.resume when count(c, Running) < K do mem := mem + 64MiB
  fair c.exit, c.start
}

check inv: Node ⊨ always count(c, Running) ≤ K
check del: Lifecycle ⊨ always (state = Deleted ⇒ next state = Deleted)
check live: Lifecycle ⊨ state = Running ~> state = Stopped
check u: Lifecycle ⊨ a until b until c ~> eventually within 5 ¬always within 3 (p ∧ q)
check v: Lifecycle ⊨ (∀ x ∈ S • p(x)) until q ~> (a ~> b) ∨ (a until b) until c
"""


def test_machines_print_canonically_with_their_comments():
    out = format_text(MACHINES, "m.iot")
    assert out == MACHINES_FORMATTED
    assert format_text(out, "m.iot") == out
    assert _module(out) == _module(MACHINES)
    assert format_module(_module(MACHINES)) == format_text(
        "\n".join(line.split(" //")[0] for line in out.splitlines()
                  if line.strip() and not line.lstrip().startswith(("//", "/*"))) + "\n")


@pytest.mark.parametrize("width", [100, 12])
def test_machines_round_trip_at_any_width(width, monkeypatch):
    from formalc.syntax import printer
    monkeypatch.setattr(printer, "WIDTH", width)
    original = _module(MACHINES)
    text = printer.format_module(original)
    assert _module(text) == original
    assert printer.format_module(_module(text)) == text
    assert format_text(text, "m.iot") == text
    inside = [line for line in text.splitlines() if line.startswith("  ")]
    assert inside and all(not line[2].isspace() or line.startswith("    ") for line in inside)
    if width == 12:
        assert "  δ(Stopped, start) = Running\n    when restarts < 3 ∧\n         N > 2\n    do spawn\n" in text
    else:
        assert "  c.start, c.resume when count(c, Running) < K do mem := mem + 64MiB\n" in text


def test_machine_value_signature_round_trips():
    text = "machine M {\n  δ: States\n}\n"
    assert format_text(text) == text
