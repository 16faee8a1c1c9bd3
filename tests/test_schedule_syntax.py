"""Schedules in the language: the `schedule` block parses and type-checks into a typed
Schedule; bad input gets the right code (FC7xx, and the general codes where they fit), position
and hint, never a traceback; `formalc fmt` prints schedule blocks canonically.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from formalc.model import nodes as m
from formalc.model.compile import compile_text
from formalc.model.types import BYTES_T, CPU_T, INT, REAL
from formalc.syntax import ast
from formalc.syntax.parser import parse
from formalc.syntax.printer import format_module, format_text

ROOT = Path(__file__).resolve().parent.parent

HEAD = """Kind = {Broker, Engine, Camera}
Place = {North, South}
Svc = (name: String, kind: Kind, cpu: CPU, memory: Bytes, replicas: Int, minTrust: Int, home: Place)
Host = (name: String, cpu: CPU, memory: Bytes, trust: Int, place: Place, latency: Time)
broker := Svc(name: "broker", kind: Broker, cpu: 1, memory: 1GiB, replicas: 2, minTrust: 3, home: North)
engine := Svc(name: "engine", kind: Engine, cpu: 500m, memory: 512MiB, replicas: 1, minTrust: 1, home: North)
camera := Svc(name: "camera", kind: Camera, cpu: 2, memory: 2GiB, replicas: 1, minTrust: 4, home: South)
Services := {broker, engine, camera}
e1 := Host(name: "e1", cpu: 4, memory: 8GiB, trust: 5, place: North, latency: 2ms)
e2 := Host(name: "e2", cpu: 2, memory: 4GiB, trust: 3, place: North, latency: 5ms)
e3 := Host(name: "e3", cpu: 8, memory: 16GiB, trust: 4, place: South, latency: 20ms)
Hosts := {e1, e2, e3}
"""  # lines 1-12
DOMAINS = "  services s ∈ Services\n  nodes n ∈ Hosts\n"  # lines 14-15


def sched(body: str, domains: str = DOMAINS) -> str:
    """Schedule `P` at line 13; with the default domains, ``body`` starts at line 16."""
    return HEAD + "schedule P {\n" + domains + body + "}\n"


PLANT = sched("""  replicas: s.replicas
  capacity cpu: s.cpu ≤ n.cpu
  capacity memory: n.memory ≥ s.memory
  require trust: n.trust ≥ s.minTrust
  require region: n.place = s.home
  near sidecar (a, b): a.kind = Engine ∧ b.kind = Broker
  apart cams (a, b): a.kind = Camera ∧ b.kind = Camera
  cost latency: n.latency / 1ms
  cost shortfall: if s.minTrust > n.trust then (s.minTrust - n.trust) / 4 else 0
  minimize 4 × latency + 4 × placements × peak + 2 × shortfall
  minimize nodes_used + peak(memory, cpu) / 2 + 1
""") + """check fits: P ⊨ feasible
check survives: P ⊨ failover(1)
check grows: P ⊨ scale(broker, 3)
check grows_by_name: P ⊨ scale("engine", 0)
"""


from diagnostic_asserts import assert_diagnostic, errors, the_error  # noqa: E402


def model(text: str) -> m.Spec:
    diags, spec = compile_text(text, "t.iot")
    assert spec is not None, [(d.code, d.message, str(d.span)) for d in diags if d.is_error]
    return spec


# ----------------------------------------------------------------------------- the model
def test_a_schedule_builds_into_a_typed_schedule():
    spec = model(PLANT)
    p = spec.schedules["P"]
    assert (p.services.var, p.nodes.var) == ("s", "n")
    assert p.services.elem.name == "Svc" and p.nodes.elem.name == "Host"
    assert p.replicas is not None and p.replicas.type == INT
    assert [(c.name, c.type) for c in p.capacities] == [("cpu", CPU_T), ("memory", BYTES_T)]
    # `n.memory ≥ s.memory` is read as demand ≤ capacity
    mem = p.capacities[1]
    assert (mem.demand.obj.name, mem.capacity.obj.name) == ("s", "n")
    assert [r.name for r in p.requires] == ["trust", "region"]
    assert [(r.kind, r.name, r.a, r.b) for r in p.pairs] == [("near", "sidecar", "a", "b"),
                                                           ("apart", "cams", "a", "b")]
    assert [c.name for c in p.costs] == ["latency", "shortfall"]
    assert p.costs[0].body.type == REAL
    first, second = p.objectives
    assert [t for t, _ in first.terms] == [m.ObjectiveTerm("cost", "latency"),
                                          m.ObjectiveTerm("peak"),
                                          m.ObjectiveTerm("cost", "shortfall")]
    # all capacities named: the same term as `peak`
    assert [t for t, _ in second.terms] == [m.ObjectiveTerm("nodes"), m.ObjectiveTerm("peak")]
    placements = [v for v in _vars(first.terms[1][1]) if v.name == m.PLACEMENTS]
    assert placements and placements[0].type == INT
    assert isinstance(second.const, m.ToReal) and second.const.operand.value == 1
    assert p.span.line == 13 and p.annotations == m.Annotations()


def _vars(e):
    out, stack = [], [e]
    while stack:
        x = stack.pop()
        if isinstance(x, m.Var):
            out.append(x)
        elif hasattr(x, "__dataclass_fields__"):
            stack.extend(m.children(x))
    return out


def test_schedule_properties_are_checks_with_schedule_props():
    spec = model(PLANT)
    props = {c.name: c.formula for c in spec.checks}
    assert all(isinstance(f, m.ScheduleProp) and f.schedule == "P" for f in props.values())
    assert props["fits"].kind == "feasible" and props["fits"].args == ()
    assert props["survives"].kind == "failover" and props["survives"].args[0].value == 1
    assert props["grows"].kind == "scale" and props["grows"].args[0].type.name == "Svc"
    assert props["grows_by_name"].args[0].value == "engine"
    assert props["fits"].span.line == 28


def test_placed_by_takes_a_set_of_bindings():
    text = sched("") + ("Binding = (service: Svc, node: Host)\n"
                        "plan := {Binding(service: broker, node: e1), Binding(service: engine, node: e1)}\n"
                        "check given: P ⊨ placed_by(plan)\n")
    (c,) = model(text).checks
    assert c.formula.kind == "placed_by" and c.formula.args[0].type.elem.name == "Binding"


def test_a_schedule_without_minimize_is_a_feasibility_problem():
    assert model(sched("")).schedules["P"].objectives == ()


def test_statements_in_any_order_and_on_one_line():
    a = model(sched("  cost c: 1\n  minimize c\n  capacity cpu: s.cpu ≤ n.cpu\n"))
    b = model(HEAD + "schedule P { minimize c  capacity cpu: s.cpu ≤ n.cpu\n"
                     "  nodes n ∈ Hosts services s ∈ Services cost c: 1 }\n")
    assert a.schedules == b.schedules


def test_ascii_spellings_give_the_same_schedule():
    ascii_text = (PLANT.replace("∈", "in").replace("≤", "<=").replace("≥", ">=")
                  .replace("∧", "and").replace("×", "*").replace("⊨", "models"))
    assert parse(ascii_text, "t.iot")[1] == parse(PLANT, "t.iot")[1]
    assert model(ascii_text).schedules == model(PLANT).schedules


def test_statement_words_stay_ordinary_names():
    """Only `schedule` and `minimize` are reserved; `replicas`, `nodes`, `cost`, … remain
    usable as field and value names (the bundled specs use `services` and `replicas`)."""
    text = ("R = (replicas: Int, services: Int, nodes: Int, cost: Int, near: Int)\n"
            "capacity := 3\nrequire := R(replicas: 1, services: 2, nodes: 3, cost: 4, near: 5)\n"
            "check c: require.replicas + require.near < capacity × 2\n")
    assert errors(text) == []


@pytest.mark.parametrize("word", ["schedule", "minimize"])
def test_schedule_and_minimize_are_reserved(word):
    d = the_error(f"{word} := 3\n")
    assert d.code == "FC101" and f"`{word}` is a reserved word" in d.hint


def test_spans_of_schedule_statements():
    (*_, decl) = parse(sched("  capacity cpu: s.cpu ≤ n.cpu\n"), "t.iot")[1].items
    assert isinstance(decl, ast.ScheduleDecl)
    assert (decl.span.line, decl.span.column, decl.span.end_column) == (13, 1, 11)  # `schedule P`
    cap = decl.items[-1]
    assert (cap.span.line, cap.span.column, cap.span.end_column) == (16, 3, 30)
    assert (cap.name_span.column, cap.name_span.end_column) == (12, 15)
    dom = decl.items[0]
    assert (dom.var_span.line, dom.var_span.column) == (14, 12)


# ----------------------------------------------------------------------------- bad input
CASES = [
    # syntax: a statement word the block does not know
    ("misspelt statement", sched("  capcity cpu: s.cpu ≤ n.cpu\n"),
     "FC101", 16, 3, "did you mean `capacity`?", "not a schedule statement"),
    ("unknown statement", sched("  weight w: 3\n"),
     "FC101", 16, 3, "`minimize e`", "`weight`"),
    # FC701: the objective names a cost or capacity the schedule does not have
    ("unknown cost", sched("  cost latency: n.latency / 1ms\n  minimize 2 × latncy\n"),
     "FC701", 17, 16, "did you mean `latency`?", "`latncy` is not a cost of schedule `P`"),
    ("unknown capacity in peak", sched("  capacity cpu: s.cpu ≤ n.cpu\n  minimize peak(cpu, memry)\n"),
     "FC701", 17, 22, "its capacities: `cpu`", "`memry` is not a capacity"),
    ("peak of nothing", sched("  capacity cpu: s.cpu ≤ n.cpu\n  minimize peak()\n"),
     "FC701", 17, 12, "write `peak` for all capacities", "names no capacity"),
    # FC702: statements missing, repeated or named alike
    ("no services", HEAD + "schedule P {\n  nodes n ∈ Hosts\n}\n",
     "FC702", 13, 1, "`services s ∈ Services`", "has no `services` statement"),
    ("no nodes", HEAD + "schedule P {\n  services s ∈ Services\n}\n",
     "FC702", 13, 1, "`nodes n ∈ Nodes`", "has no `nodes` statement"),
    ("two node sets", sched("  nodes m ∈ Hosts\n"),
     "FC702", 16, 3, "`A ∪ B`", "two `nodes` statements"),
    ("two replicas", sched("  replicas: 1\n  replicas: 2\n"),
     "FC702", 17, 3, None, "two `replicas` statements"),
    ("two requirements named alike",
     sched("  require fast: n.latency ≤ 10ms\n  cost fast: 1\n  require fast: n.cpu ≥ 2\n"),
     "FC702", 18, 11, "a name of its own", "two requirements of schedule `P` are named `fast`"),
    ("two rules named alike",
     sched("  near r (a, b): false\n  apart r (a, b): false\n"),
     "FC702", 17, 9, None, "two rules of schedule `P` are named `r`"),
    ("a cost named like a builtin", sched("  cost peak: 1\n"),
     "FC702", 16, 8, "`cost peak_cost: …`", "`peak` is built into the objective"),
    # FC703: capacities
    ("capacity in the wrong unit", sched("  capacity memory: s.memory ≤ n.latency\n"),
     "FC703", 16, 20, "both Bytes or both Time", "the demand is Bytes but the capacity is Time"),
    ("capacity that is no comparison", sched("  capacity memory: s.memory = n.memory\n"),
     "FC703", 16, 20, "`capacity memory: s.memory ≤ n.memory`",
     "must compare a demand with a capacity"),
    ("capacity of whole tuples", sched("  capacity all: s ≤ n\n"),
     "FC703", 16, 17, "one capacity per dimension", "is Svc, not one resource dimension"),
    ("capacity of a plain number against bytes", sched("  capacity memory: s.replicas ≤ n.memory\n"),
     "FC703", 16, 20, None, "the demand is Int but the capacity is Bytes"),
    # FC704: a statement mentions a variable it cannot see
    ("demand over the node", sched("  capacity cpu: n.cpu ≤ n.cpu\n"),
     "FC704", 16, 17, "a demand of `s`", "the demand of capacity `cpu` (left of `≤`)"),
    ("demand over both", sched("  capacity cpu: n.cpu ≥ s.cpu + n.cpu × 0\n"),
     "FC704", 16, 33, None, "the demand of capacity `cpu` (right of `≥`)"),
    ("capacity side over the service", sched("  capacity cpu: s.cpu ≤ s.cpu\n"),
     "FC704", 16, 25, None, "the capacity of `cpu` (right of `≤`) speaks of the node `n` only"),
    ("replicas over the node", sched("  replicas: n.trust\n"),
     "FC704", 16, 13, "`replicas: s.replicas`", "cannot mention `n` (the node)"),
    ("objective over a service", sched("  minimize s.replicas × nodes_used\n"),
     "FC704", 16, 12, "put per-placement expressions in a cost", "about the whole placement"),
    ("near rule over the node", sched("  near x (a, b): a.kind = Engine ∧ n.trust > 3\n"),
     "FC704", 16, 36, None, "`near x` speaks of the services `a` and `b`"),
    # FC705: costs are plain numbers
    ("cost with a unit", sched("  cost latency: n.latency\n"),
     "FC705", 16, 17, "divide by a unit: `n.latency / 1ms`", "cost `latency` is Time"),
    ("cost of a sum with a unit", sched("  cost latency: n.latency + 1ms\n"),
     "FC705", 16, 17, "`(n.latency + 1ms) / 1ms`", "a plain number"),
    ("Boolean cost", sched("  cost trusted: n.trust > 3\n"),
     "FC705", 16, 17, None, "cost `trusted` is Bool, but a cost is a number"),
    # FC706: the objective is a non-negative weighted sum
    ("negative weight", sched("  cost latency: n.latency / 1ms\n  minimize latency - 2 × nodes_used\n"),
     "FC706", 17, 22, "minimising a negative weight maximises", "the weight of `nodes_used` is -2"),
    ("negative weight with placements",
     sched("  minimize (1 - placements) × peak\n"),
     "FC706", 16, 13, None, "is -2 (`1 - placements` with placements = 3)"),
    ("product of two terms", sched("  cost latency: n.latency / 1ms\n  minimize latency × nodes_used\n"),
     "FC706", 17, 12, "define one cost", "a product of two terms"),
    ("term as a divisor", sched("  cost latency: n.latency / 1ms\n  minimize 1 / latency\n"),
     "FC706", 17, 16, None, "divides by the term `latency`"),
    ("term inside a condition",
     sched("  cost latency: n.latency / 1ms\n  minimize if true then latency else 0\n"),
     "FC706", 17, 12, None, "the term `latency` stands inside an expression"),
    ("weight with a unit", sched("  minimize 2ms × nodes_used\n"),
     "FC706", 16, 12, "without units", "a weight is a plain number; this is Time"),
    # FC707: placements only in a weight
    ("placements in a cost", sched("  cost big: placements × 2\n"),
     "FC707", 16, 13, "`minimize 4 × placements × peak`", "stands only in a weight"),
    ("placements as a constant", sched("  minimize nodes_used + placements\n"),
     "FC707", 16, 25, None, "multiplying a term"),
    # FC708: replicas
    ("replicas of a quantity", sched("  replicas: s.cpu\n"),
     "FC708", 16, 13, "`replicas: s.replicas`", "a number of replicas is a whole number (Int)"),
    ("negative replicas", sched("  replicas: s.replicas - 3\n"),
     "FC708", 16, 13, "≥ 0", "service `broker` would have -1 replicas"),
    ("negative literal replicas", sched("  replicas: -1\n"),
     "FC708", 16, 13, None, "cannot be negative"),
    ("scaled to negative replicas", sched("") + "check c: P ⊨ scale(broker, 0 - 1)\n",
     "FC708", 17, 28, None, "`scale` to -1 replicas"),
    # FC709: empty sets (found while lowering)
    ("empty service set", sched("", "  services s ∈ {x ∈ Services | x.cpu > 100}\n  nodes n ∈ Hosts\n"),
     "FC709", 14, 3, "at least one service", "has no services: `{x ∈ Services | x.cpu > 100}` is empty"),
    ("empty node set", sched("", "  services s ∈ Services\n  nodes n ∈ Hosts \\ Hosts\n"),
     "FC709", 15, 3, None, "has no nodes"),
    # FC710: values that cannot be computed
    ("uninterpreted node", HEAD + "extra: Host\nschedule P {\n  services s ∈ Services\n"
                                   "  nodes n ∈ {e1, extra}\n}\n",
     "FC710", 16, 13, "give every value it uses a definition", "`extra` is an uninterpreted constant"),
    ("a type as the set", sched("", "  services s ∈ Svc\n  nodes n ∈ Hosts\n"),
     "FC710", 14, 16, "`services s ∈ {a, b, c}`", "`Svc` is a type"),
    ("division by zero in a cost", sched("  cost c: 1 / (n.trust - n.trust)\n"),
     "FC710", 16, 3, None, "cost `c` of service `broker` on node `e1` cannot be evaluated"),
    # FC711: names that do not tell elements apart
    ("two nodes with one name",
     HEAD + 'e4 := Host(name: "e1", cpu: 1, memory: 1GiB, trust: 1, place: North, latency: 1ms)\n'
            "schedule P {\n  services s ∈ Services\n  nodes n ∈ {e1, e2, e4}\n}\n",
     "FC711", 16, 3, "(these two differ in `cpu`)", "two nodes of schedule `P` are named `e1`"),
    # FC712: schedule properties
    ("unknown property", sched("") + "check c: P ⊨ feasibel\n",
     "FC712", 17, 14, "did you mean `feasible`?", "`feasibel` is not a schedule property"),
    ("property without its argument", sched("") + "check c: P ⊨ failover\n",
     "FC712", 17, 14, "e.g. `P ⊨ failover(1)`", "`failover` takes 1 argument (k), 0 given"),
    ("property with too many arguments", sched("") + "check c: P ⊨ feasible(1)\n",
     "FC712", 17, 14, "`P ⊨ feasible`", "takes 0 arguments"),
    ("property in check sat", sched("") + "check sat c: P ⊨ feasible\n",
     "FC712", 17, 14, "write `check name: P ⊨ feasible`", "`check sat` asks for a witness"),
    ("negative failures", sched("") + "check c: P ⊨ failover(-1)\n",
     "FC712", 17, 23, None, "cannot be negative"),
    ("scale of an unknown service", sched("") + 'check c: P ⊨ scale("brokr", 3)\n',
     "FC712", 17, 20, "did you mean `broker`?", "`brokr` is not a service of schedule `P`"),
    ("scale of a node", sched("") + "check c: P ⊨ scale(e1, 3)\n",
     "FC712", 17, 20, None, "must be a service (Svc) or its name"),
    ("placed_by of nodes", sched("") + "check c: P ⊨ placed_by(Hosts)\n",
     "FC712", 17, 24, "`Binding = (service: Svc, node: Host)`", "takes a set of bindings"),
    ("not a property", sched("") + "check c: P ⊨ 1 + 2\n",
     "FC712", 17, 14, "a schedule property is one of", "must be a schedule property"),
    # elsewhere: `⊨` on a name that is neither, binders
    ("unknown schedule", sched("") + "check c: Q ⊨ feasible\n",
     "FC507", 17, 10, None, "`Q` is not a machine or a schedule"),
    ("misspelt schedule", sched("") + "check c: Pp ⊨ feasible\n",
     "FC507", 17, 10, "did you mean `P`?", "`Pp` is not a machine"),
    ("one variable for both sets", sched("", "  services s ∈ Services\n  nodes s ∈ Hosts\n"),
     "FC310", 15, 9, "`s` and `n`", "`s` is bound twice"),
    ("a declared name as the variable", sched("", "  services e1 ∈ Services\n  nodes n ∈ Hosts\n"),
     "FC310", 14, 12, None, "`e1` is a definition"),
    ("a schedule as a value", sched("") + "check c: P.size = 1\n",
     "FC208", 17, 10, "`check p: P ⊨ feasible`", "`P` is a schedule, not a value"),
    ("requirement that is no formula", sched("  require trust: n.trust\n"),
     "FC307", 16, 18, None, "requirement `trust` must be a Boolean formula"),
    ("unknown field in a requirement", sched("  require trust: n.trsut ≥ 3\n"),
     "FC205", 16, 18, "did you mean `trust`?", None),
    ("bare number where bytes are demanded", sched("  capacity memory: 512 ≤ n.memory\n"),
     "FC306", 16, 20, None, "has no unit"),
]


@pytest.mark.parametrize("text, code, line, col, hint, message", [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_bad_schedule_input(text, code, line, col, hint, message):
    assert_diagnostic(the_error(text), code, line, col, hint, message)


def test_every_schedule_code_is_exercised():
    codes = {c[2] for c in CASES}
    assert {f"FC7{i:02d}" for i in range(1, 13)} <= codes


def test_duplicate_statement_points_at_the_first():
    d = the_error(sched("  cost latency: n.latency / 1ms\n  cost latency: n.latency / 1s\n"))
    assert [(msg, s.line, s.column) for msg, s in d.notes] == [("first named here", 16, 8)]


def test_statements_of_different_kinds_may_share_a_name():
    """A requirement and a cost both called `latency` are told apart by where they are used."""
    spec = model(sched("  require latency: n.latency ≤ 10ms\n  cost latency: n.latency / 1ms\n"
                       "  capacity latency: 1 ≤ 2\n  minimize latency + peak(latency)\n"))
    p = spec.schedules["P"]
    assert [r.name for r in p.requires] == [c.name for c in p.costs] == ["latency"]


def test_an_empty_set_is_reported_once_and_nothing_is_placed():
    text = sched("  cost c: 1\n  minimize c\n", "  services s ∈ Services\n  nodes n ∈ {}\n")
    diags = errors(text)
    assert [d.code for d in diags] == ["FC709"]
    assert compile_text(text, "t.iot")[1] is None


# ----------------------------------------------------------------------------- no traceback
BROKEN = {
    "half_statement.iot": sched("  capacity cpu:\n"),
    "unclosed.iot": HEAD + "schedule P {\n  services s ∈ Services\n",
    "bad_pair.iot": sched("  near x (a): true\n"),
    "units.iot": sched("  capacity memory: s.memory ≤ n.latency\n"),
    "empty.iot": sched("", "  services s ∈ {}\n  nodes n ∈ Hosts\n"),
    "weights.iot": sched("  minimize 0 - peak\n"),
    "property.iot": sched("") + "check c: P ⊨ scale(engine)\n",
    "deep.iot": sched("  cost c: " + "(1 + " * 300 + "1" + ")" * 300 + "\n"),
}


def _cli(path: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env["PYTHONIOENCODING"] = "utf-8"
    env["FORMALC_NO_CACHE"] = "1"
    return subprocess.run([sys.executable, "-m", "formalc", *args, "--no-color", path.name],
                          check=False, cwd=path.parent, env=env, capture_output=True, text=True,
                          encoding="utf-8", errors="replace", timeout=120)


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_broken_schedule_files_exit_2_without_traceback(name, tmp_path):
    path = tmp_path / name
    path.write_text(BROKEN[name], encoding="utf-8")
    p = _cli(path, "check")
    assert "Traceback" not in p.stderr + p.stdout, p.stderr
    assert p.returncode == 2, (p.returncode, p.stdout, p.stderr)
    assert f"--> {name}:" in p.stderr and "error[FC" in p.stderr, p.stderr


def test_checking_schedule_properties_never_crashes(tmp_path):
    """Until the runner decides schedule properties, they may be unknown, never a traceback
    and never a pass."""
    path = tmp_path / "plant.iot"
    path.write_text(PLANT, encoding="utf-8")
    p = _cli(path, "check")
    assert "Traceback" not in p.stderr + p.stdout, p.stderr
    assert p.returncode in (0, 1, 3) and "error[" not in p.stderr, (p.returncode, p.stderr)
    for name in ("fits", "survives", "grows", "grows_by_name"):
        assert name in p.stdout


# ----------------------------------------------------------------------------- formatting
MESSY = """Svc = (name: String, cpu: CPU)
Host = (name: String, cpu: CPU)
@def 7.2
schedule Plant {   // the plant floor
  services s in {Svc(name: "a", cpu: 1)}   // what runs
  nodes n ∈ {Host(name: "h", cpu: 2)}
  capacity cpu: s.cpu <= n.cpu  require any: true

  /* pairs */ near x (a, b): a.name = "a" and b.name != "a"
  cost one: 1
  minimize 2 * one + 4 * placements * peak(cpu)
  // last
} // end
check ok: Plant models feasible
"""

FORMATTED = """Svc = (name: String, cpu: CPU)
Host = (name: String, cpu: CPU)

@def 7.2
schedule Plant { // the plant floor
  services s ∈ {Svc(name: "a", cpu: 1)} // what runs
  nodes n ∈ {Host(name: "h", cpu: 2)}
  capacity cpu: s.cpu ≤ n.cpu
  require any: true

  /* pairs */
  near x (a, b): a.name = "a" ∧ b.name ≠ "a"
  cost one: 1
  minimize 2 × one + 4 × placements × peak(cpu)
  // last
} // end

check ok: Plant ⊨ feasible
"""


def test_schedules_print_canonically_with_their_comments():
    out = format_text(MESSY, "p.iot")
    assert out == FORMATTED
    assert format_text(out, "p.iot") == out
    assert parse(out, "p.iot")[1] == parse(MESSY, "p.iot")[1]
    assert model(out).schedules == model(MESSY).schedules


@pytest.mark.parametrize("width", [100, 12])
def test_schedules_round_trip_at_any_width(width, monkeypatch):
    from formalc.syntax import printer
    monkeypatch.setattr(printer, "WIDTH", width)
    original = parse(PLANT, "t.iot")[1]
    text = printer.format_module(original)
    assert parse(text, "t.iot")[1] == original
    assert printer.format_module(parse(text, "t.iot")[1]) == text
    assert format_text(text, "t.iot") == text
    if width == 12:
        assert "  cost latency: n.latency /\n                1ms\n" in text


def test_format_module_of_an_empty_schedule():
    mod = ast.Module("t.iot", (ast.ScheduleDecl("P", ()),))
    assert format_module(mod) == "schedule P {}\n"
    assert parse("schedule P {}\n", "t.iot")[1] == mod


def test_the_bundled_schedule_round_trips():
    text = (ROOT / "specs" / "scheduling.iot").read_text("utf-8")
    out = format_text(text, "scheduling.iot")
    assert "schedule SeedPlacement {\n  services s ∈ {schedIngest, schedBroker, schedVideo}\n" in out
