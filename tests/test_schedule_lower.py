"""Lowering `schedule` blocks to the placement Problem: exact capacities in base units, the
requirements that block each pair, affinity pairs, cost tables, weighted and lexicographic
objectives, and where each piece was written; schedule properties with plain arguments.
"""
from __future__ import annotations

import itertools
from fractions import Fraction
from pathlib import Path

import pytest

from formalc.model.build import Builder
from formalc.model.compile import compile_file, compile_text
from formalc.model.loader import Loader
from formalc.schedule.evaluate import evaluate
from formalc.schedule.lower import check_spec, lower, lower_all, lower_property
from formalc.schedule.problem import Term

ROOT = Path(__file__).resolve().parent.parent
GiB, MiB = 2**30, 2**20

PLANT = """Kind = {Broker, Engine, Camera}
Place = {North, South}
Svc = (name: String, kind: Kind, cpu: CPU, memory: Bytes, replicas: Int, minTrust: Int, home: Place)
Host = (name: String, cpu: CPU, memory: Bytes, trust: Int, place: Place, latency: Time)
broker := Svc(name: "broker", kind: Broker, cpu: 1, memory: 1GiB, replicas: 2, minTrust: 3, home: North)
engine := Svc(name: "engine", kind: Engine, cpu: 500m, memory: 512MiB, replicas: 1, minTrust: 1, home: North)
camera := Svc(name: "camera", kind: Camera, cpu: 2, memory: 2GiB, replicas: 1, minTrust: 4, home: South)
cam2 := Svc(name: "cam2", kind: Camera, cpu: 2, memory: 2GiB, replicas: 1, minTrust: 4, home: South)
Services := {broker, engine, camera, cam2}
e1 := Host(name: "e1", cpu: 4, memory: 8GiB, trust: 5, place: North, latency: 2ms)
e2 := Host(name: "e2", cpu: 2, memory: 4GiB, trust: 3, place: North, latency: 5ms)
e3 := Host(name: "e3", cpu: 8, memory: 16GiB, trust: 4, place: South, latency: 20ms)
Hosts := {e1, e2, e3}
W := 3
Binding = (service: Svc, node: Host)
plan := {Binding(service: broker, node: e1), Binding(service: broker, node: e2),
         Binding(service: engine, node: e1), Binding(service: camera, node: e3),
         Binding(service: cam2, node: e3)}
schedule Plant {
  services s ∈ Services
  nodes n ∈ Hosts
  replicas: s.replicas
  capacity cpu: s.cpu ≤ n.cpu
  capacity memory: n.memory ≥ s.memory
  require trust: n.trust ≥ s.minTrust
  require region: n.place = s.home
  near sidecar (a, b): a.kind = Engine ∧ b.kind = Broker
  apart cams (a, b): a.kind = Camera ∧ b.kind = Camera
  cost latency: n.latency / 1ms
  cost shortfall: if s.minTrust + 1 > n.trust then (s.minTrust + 1 - n.trust) / 4 else 0
  minimize 4 × latency + 4 × placements × peak + 2 × shortfall
  minimize nodes_used + W / 2 × peak(memory) + 1
}
check fits: Plant ⊨ feasible
check survives: Plant ⊨ failover(1)
check grows: Plant ⊨ scale(broker, 3)
check grows_by_name: Plant ⊨ scale("engine", 0)
check given: Plant ⊨ placed_by(plan)
"""


def line_of(text: str, needle: str) -> int:
    return text[:text.index(needle)].count("\n") + 1


def spec_of(text: str):
    diags, spec = compile_text(text, "t.iot")
    assert spec is not None, [(d.code, d.message, str(d.span)) for d in diags if d.is_error]
    return spec


def built(text: str):
    """A spec built without lowering its schedules (compile_text would report their errors)."""
    loader = Loader()
    _, mod = loader.text_module(text, "t.iot")
    _, modules = loader.closure(mod, None)
    diags, spec = Builder(modules, mod).build(loader.sources)
    assert spec is not None, [(d.code, d.message) for d in diags if d.is_error]
    spec.sources.update(loader.sources)
    return spec


@pytest.fixture(scope="module")
def plant():
    problem, diags = lower(spec_of(PLANT), "Plant")
    assert diags == [] and problem is not None
    return problem


# ----------------------------------------------------------------------------- the problem
def test_services_and_nodes_ordered_by_name(plant):
    assert [s.name for s in plant.services] == ["broker", "cam2", "camera", "engine"]
    assert [n.name for n in plant.nodes] == ["e1", "e2", "e3"]
    assert [s.replicas for s in plant.services] == [2, 1, 1, 1]
    assert all(s.spread for s in plant.services)
    assert plant.name == "Plant" and plant.placements_count() == 5


def test_capacities_and_demands_are_exact_in_base_units(plant):
    assert [d.name for d in plant.dims] == ["cpu", "memory"]
    assert [n.cap for n in plant.nodes] == [(4, 8 * GiB), (2, 4 * GiB), (8, 16 * GiB)]
    assert [s.demand for s in plant.services] == [
        (1, GiB), (2, 2 * GiB), (2, 2 * GiB), (Fraction(1, 2), 512 * MiB)]
    assert all(isinstance(x, Fraction) for n in plant.nodes for x in n.cap)
    cpu, mem = plant.dims
    assert (cpu.unit, cpu.show, cpu.show_scale) == ("core", "core", 1)
    assert (mem.unit, mem.show, mem.show_scale) == ("B", "GiB", GiB)
    assert mem.fmt(512 * MiB) == "512MiB" and cpu.fmt(Fraction(1, 2)) == "500m"
    assert mem.fmt(9 * 1024 * MiB + 512 * MiB) == "9.5GiB" and cpu.fmt(Fraction(13, 2)) == "6.5core"


def test_requirements_block_the_pairs_they_forbid(plant):
    assert [r.name for r in plant.requirements] == ["trust", "region"]
    T, R = 0, 1
    assert plant.blocked == [
        [set(), set(), {R}],          # broker: North only
        [{R}, {T, R}, set()],         # cam2: South, trust ≥ 4
        [{R}, {T, R}, set()],         # camera
        [set(), set(), {R}],          # engine
    ]
    assert plant.candidates(1) == [2] and plant.candidates(3) == [0, 1]


def test_affinity_pairs(plant):
    near, apart = plant.affinities
    assert (near.kind, near.name, near.pairs) == ("near", "sidecar", ((3, 0),))  # engine → broker
    assert (apart.kind, apart.name, apart.pairs) == ("apart", "cams", ((1, 2),))  # once, a < b


def test_cost_tables(plant):
    assert list(plant.costs) == ["latency", "shortfall"]
    assert plant.costs["latency"].table == tuple((2, 5, 20) for _ in range(4))
    q = Fraction(1, 4)
    assert plant.costs["shortfall"].table == ((0, q, 0), (0, 2 * q, q), (0, 2 * q, q), (0, 0, 0))


def test_objective_levels_with_placements_computed(plant):
    first, second = plant.objective
    assert first.coefs == ((Term("cost", "latency"), 4), (Term("peak"), 4 * 5),
                           (Term("cost", "shortfall"), 2))
    assert first.const == 0 and first.text == "4 × latency + 4 × placements × peak + 2 × shortfall"
    assert second.coefs == ((Term("nodes"), 1), (Term("peak", dims=(1,)), Fraction(3, 2)))
    assert second.const == 1 and second.text == "nodes_used + W / 2 × peak(memory) + 1"
    assert all(isinstance(c, Fraction) for _, c in first.coefs + second.coefs)


def test_locs_point_at_the_statements(plant):
    text = PLANT
    assert (plant.loc.file, plant.loc.line) == ("t.iot", line_of(text, "schedule Plant"))
    cpu, mem = plant.dims
    assert (cpu.loc.line, cpu.loc.col, cpu.loc.text) == (line_of(text, "capacity cpu"), 3,
                                                         "s.cpu ≤ n.cpu")
    assert mem.loc.text == "n.memory ≥ s.memory"
    trust, region = plant.requirements
    assert (trust.loc.line, trust.loc.text) == (line_of(text, "require trust"), "n.trust ≥ s.minTrust")
    assert trust.loc.where() == f"t.iot:{line_of(text, 'require trust')}"
    assert region.loc.text == "n.place = s.home"
    assert plant.affinities[0].loc.text == "a.kind = Engine ∧ b.kind = Broker"
    assert plant.affinities[1].loc.line == line_of(text, "apart cams")
    assert plant.costs["latency"].loc.text == "n.latency / 1ms"
    assert plant.costs["shortfall"].loc.line == line_of(text, "cost shortfall")
    # elements: where their named values are defined
    assert (plant.nodes[2].loc.line, plant.nodes[2].loc.text) == (line_of(text, "e3 :="), "e3")
    assert plant.services[0].loc.line == line_of(text, "broker :=")


def test_attributes_are_readable_scalar_fields(plant):
    assert plant.nodes[0].attrs == (("cpu", "4"), ("memory", "8GiB"), ("trust", "5"),
                                    ("place", "North"), ("latency", "2ms"))
    assert dict(plant.services[3].attrs)["cpu"] == "500m"
    assert "name" not in dict(plant.services[0].attrs)


def test_the_evaluator_agrees_with_the_tables(plant):
    placement = plant.from_names({"broker": ["e1", "e2"], "engine": ["e1"], "camera": ["e3"],
                                  "cam2": ["e3"]})
    ev = evaluate(plant, placement)
    assert [v.kind for v in ev.violations] == ["apart"]  # the two cameras share e3
    ok = plant.from_names({"broker": ["e1", "e2"], "engine": ["e1"], "camera": ["e3"],
                           "cam2": []})
    ev = evaluate(plant.with_replicas({1: 0}), ok)
    assert ev.valid, ev.violations
    latency = 2 + 5 + 2 + 20
    shortfall = Fraction(1, 4) + Fraction(1, 4)  # broker on e2, camera on e3
    peak = Fraction(1, 2)  # e2: 1 of its 2 cores (e1: 1.5 of 4; e3: 2 of 8)
    assert ev.terms[Term("peak")] == peak
    assert ev.levels[0] == 4 * latency + 20 * peak + 2 * shortfall


def test_lowering_is_deterministic():
    a, _ = lower(spec_of(PLANT), "Plant")
    b, _ = lower(spec_of(PLANT), "Plant")
    assert a == b


def test_lower_all_and_check_spec():
    spec = spec_of(PLANT)
    problems, diags = lower_all(spec)
    assert list(problems) == ["Plant"] and diags == []
    assert check_spec(spec) == []


# ----------------------------------------------------------------------------- the bundled spec
def test_seed_placement_lowers_and_its_optimum_is_the_proved_plan():
    """specs/scheduling.iot proves that schedPlan is optimal for Σ w × Cost (53/25): the schedule
    over the same nodes and services has that placement as its unique first-level optimum."""
    diags, spec = compile_file(ROOT / "specs" / "scheduling.iot")
    assert spec is not None, [(d.code, d.message) for d in diags if d.is_error]
    p, d = lower(spec, "SeedPlacement")
    assert d == [] and p is not None
    assert [s.name for s in p.services] == ["broker", "ingest", "video"]
    assert [n.name for n in p.nodes] == ["edge-1", "gw-1", "region-1"]
    assert [d.name for d in p.dims] == ["cpu", "memory", "network"]
    assert p.nodes[1].cap == (4, 4 * GiB, Fraction(100_000_000, 8))  # 100Mbps in bytes/s
    assert p.dims[2].unit == "B/s" and p.dims[2].fmt(Fraction(100_000_000, 8)) == "100Mbps"
    assert [r.name for r in p.requirements] == ["fits", "latency", "trust", "runtime", "arch"]
    assert p.blocked[0][1] == {3}           # the broker needs Kata, which gw-1 lacks
    assert p.blocked[2][1] == {0, 2, 4}     # video does not fit gw-1, needs trust 4 and amd64
    results = []
    for choice in itertools.product(range(3), repeat=3):
        ev = evaluate(p, tuple((j,) for j in choice))
        if ev.valid:
            results.append((ev.levels, p.named(tuple((j,) for j in choice))))
    results.sort(key=lambda r: r[0])
    assert results[0][0][0] == Fraction(53, 25) < results[1][0][0]
    assert results[0][1] == {"broker": ["edge-1"], "ingest": ["gw-1"], "video": ["region-1"]}
    assert p.costs["score"].loc.text == "1 - NodeScore(seedStrategy, n, s)"
    gw = dict(p.nodes[1].attrs)  # nested tuples under dotted names
    assert (gw["connectivity.latency"], gw["resources.memory"], gw["trust"]) == ("2ms", "4GiB", "3")
    assert "runtimes" not in gw and "name" not in gw


# ----------------------------------------------------------------------------- other shapes
def test_enum_nodes_and_services_without_a_name_field():
    spec = spec_of("""Zone = {North, South, East}
Job = (kind: Int, size: Int)
schedule Z {
  services j ∈ {Job(kind: 2, size: 1), Job(kind: 1, size: 5)}
  nodes z ∈ Zone \\ {East}
  capacity size: j.size ≤ 10
  require big: z = North ∨ j.size < 3
}
""")
    p, d = lower(spec, "Z")
    assert d == []
    assert [s.name for s in p.services] == ["Job(kind: 1, size: 5)", "Job(kind: 2, size: 1)"]
    assert [n.name for n in p.nodes] == ["North", "South"]
    assert p.blocked == [[set(), {0}], [set(), set()]]
    assert p.dims[0].unit == "" and p.nodes[0].cap == (10,)
    assert p.objective == [] and p.affinities == []


def test_a_cost_that_fails_only_on_blocked_pairs_is_fine():
    spec = spec_of("""N = (name: String, trust: Int)
S = (name: String, min: Int)
schedule P {
  services s ∈ {S(name: "a", min: 1)}
  nodes n ∈ {N(name: "x", trust: 1), N(name: "y", trust: 3)}
  require strict: n.trust > s.min
  cost c: 1 / (n.trust - s.min)
  minimize c
}
""")
    p, d = lower(spec, "P")
    assert d == [] and p.costs["c"].table == ((0, Fraction(1, 2)),)


# ----------------------------------------------------------------------------- properties
def test_properties_lower_to_plain_arguments():
    spec = spec_of(PLANT)
    tasks = {}
    for c in spec.checks:
        task, d = lower_property(spec, c.formula)
        assert d == [] and task is not None
        tasks[c.name] = task
    assert tasks["fits"].kind == "feasible" and tasks["fits"].problem.name == "Plant"
    assert tasks["survives"].k == 1
    assert (tasks["grows"].service, tasks["grows"].replicas) == (0, 3)
    assert (tasks["grows_by_name"].service, tasks["grows_by_name"].replicas) == (3, 0)
    given = tasks["given"]
    assert given.placement == ((0, 1), (2,), (2,), (0,))
    assert [v.kind for v in evaluate(given.problem, given.placement).violations] == ["apart"]
    assert given.loc.line == line_of(PLANT, "check given") and given.loc.text.startswith("Plant ⊨")


# ----------------------------------------------------------------------------- diagnostics
BAD = [
    ("empty nodes", "  services s ∈ Services\n  nodes n ∈ {x ∈ Hosts | x.cpu > 99}\n", "",
     "FC709", "has no nodes"),
    ("negative replicas", "  services s ∈ Services\n  nodes n ∈ Hosts\n", "  replicas: s.replicas - 2\n",
     "FC708", "service `cam2` would have -1 replicas"),
    ("negative weight", "  services s ∈ Services\n  nodes n ∈ Hosts\n",
     "  minimize (3 - placements) × peak\n", "FC706", "the weight of `peak` is -1"),
]


@pytest.mark.parametrize("domains, body, code, message", [b[1:] for b in BAD],
                         ids=[b[0] for b in BAD])
def test_lowering_reports_instead_of_returning_a_problem(domains, body, code, message):
    text = PLANT.split("schedule Plant")[0] + "schedule P {\n" + domains + body + "}\n"
    spec = built(text)
    problem, diags = lower(spec, "P")
    assert problem is None
    assert [d.code for d in diags] == [code] and message in diags[0].message
    assert diags[0].span.file == "t.iot" and diags[0].span.line > line_of(text, "schedule P")
