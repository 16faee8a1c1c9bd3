"""Scheduler conformance (formalc/conform/scheduler.py): a scheduler's placements are checked
against every hard constraint by the independent evaluator, its cost compared with formalc's
optimum, its refusals judged against formalc's feasibility, and findings shrunk by Hypothesis.

The subjects: an exhaustive scheduler (optimal by construction: every ratio is exactly 1), the
seed's edge manager (models/edge_manager.py, §9.4) through an adapter, and its buggy twin
that forgets to check memory."""
from __future__ import annotations

import itertools
import json
import sys
from fractions import Fraction
from pathlib import Path

import pytest

import formalc
from formalc.conform.scheduler import (Broken, NoPlacement, Outcome, SchedulerRow,
                                       check_scheduler, load_scheduler, plain_view,
                                       problem_source, problems, restrict, to_placement)
from formalc.schedule.evaluate import evaluate
from formalc.schedule.problem import (Affinity, CostTerm, Dim, Linear, Node, Problem,
                                      Requirement, Service, Term)

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

em = pytest.importorskip("models.edge_manager")

TINY = ROOT / "tests" / "fixtures" / "tiny_schedule.iot"


# ------------------------------------------------------------------------------ subjects
def exhaustive(view):
    """Every placement of the plain view, the lexicographically cheapest valid one (or
    NoPlacement): optimal by construction, so formalc must agree with it exactly."""
    dims, names = view["dims"], [n["name"] for n in view["nodes"]]
    cap = {n["name"]: n["capacity"] for n in view["nodes"]}
    choices = []
    for s in view["services"]:
        pick = itertools.combinations if s["spread"] else itertools.combinations_with_replacement
        choices.append(list(pick(s["allowed"], s["replicas"])))
    best, best_cost = None, None
    for combo in itertools.product(*choices):
        load = {n: {d: 0 for d in dims} for n in names}
        for s, where in zip(view["services"], combo):
            for n in where:
                for d in dims:
                    load[n][d] += s["demand"][d]
        if any(load[n][d] > cap[n][d] for n in names for d in dims):
            continue
        hosts = {s["name"]: set(w) for s, w in zip(view["services"], combo)}
        if any(not hosts[r["service"]] <= hosts[r["with"]] for r in view["near"]) or \
                any(hosts[r["service"]] & hosts[r["with"]] for r in view["apart"]):
            continue
        cost = []
        for lv in view["objective"]:
            c = lv["const"] + sum(lv["per_replica"][s["name"]][n]
                                  for s, w in zip(view["services"], combo) for n in w)
            peak = max((load[n][d] / cap[n][d] for n in names for d in lv["peak_dims"]
                        if cap[n][d] > 0), default=0)
            used = sum(1 for n in names if any(load[n][d] for d in dims))
            cost.append(c + lv["peak"] * peak + lv["nodes_used"] * used)
        if best_cost is None or cost < best_cost:
            best, best_cost = combo, cost
    if best is None:
        raise NoPlacement("no placement satisfies the constraints")
    return {s["name"]: list(w) for s, w in zip(view["services"], best)}


def _manage(manager_cls, view):
    """The adapter: a synthetic problem's plain view as the edge manager's nodes and services
    (trust and latency from the attributes, memory in GiB, every node a Runc/Amd64 host, a
    latency budget of 20 ms — the largest node latency — so only trust filters, as in the
    problem), every replica deployed as its own service; the manager's choices as a
    placement. The manager's own exceptions (EdgeError) are its refusals."""
    nodes = [em.EdgeNode(n["name"], "Beijing",
                         em.Resources(n["capacity"]["cpu"], n["capacity"]["memory"] * em.GiB),
                         em.Connectivity("Ethernet", 0, int(n["attrs"]["latency"]) * em.ms),
                         "Amd64", {"Runc"}, int(n["attrs"]["trust"]))
             for n in view["nodes"]]
    manager = manager_cls(nodes)
    out: dict[str, list[str]] = {}
    for s in view["services"]:
        out[s["name"]] = []
        for k in range(s["replicas"]):
            svc = em.EdgeService(f"{s['name']}#{k + 1}", "Generic",
                                 em.Resources(s["demand"]["cpu"], s["demand"]["memory"] * em.GiB),
                                 20 * em.ms, int(s["attrs"]["minTrust"]), "Runc", {"Amd64"},
                                 "Beijing")
            out[s["name"]].append(manager.deploy_to_edge(svc).node.name)
    return out


def edge_manager(view):
    """The seed's EdgeContainerManager (§9.4) as a scheduler."""
    return _manage(em.EdgeContainerManager, view)


def lax_edge_manager(view):
    """The buggy twin (LaxEdgeManager: no memory check) as a scheduler."""
    return _manage(em.LaxEdgeManager, view)


REFUSE = (em.EdgeError,)
#: the edge manager knows neither replicas nor affinities: one replica each, no rules
SINGLE = {"max_services": 6, "max_nodes": 4, "max_replicas": 1, "affinities": False}


def fleet(nodes, services, *, rules=(), objective="latency+peak") -> Problem:
    """A synthetic problem like those problems() draws: nodes (cpu, memory, trust, latency),
    services (cpu, memory, replicas, minTrust)."""
    ns = [Node(f"n{j + 1}", (Fraction(c), Fraction(m)), (("trust", str(t)), ("latency", str(l))))
          for j, (c, m, t, l) in enumerate(nodes)]
    ss = [Service(f"s{i + 1}", (Fraction(c), Fraction(m)), r, True, (("minTrust", str(k)),))
          for i, (c, m, r, k) in enumerate(services)]
    blocked = [[frozenset({0}) if nodes[j][2] < services[i][3] else frozenset()
                for j in range(len(nodes))] for i in range(len(services))]
    table = tuple(tuple(Fraction(n[3], 20) for n in nodes) for _ in services)
    reps = Fraction(sum(s[2] for s in services))
    obj = [Linear(((Term("cost", "latency"), Fraction(1)), (Term("peak"), reps)),
                  text="latency + placements × peak")] if objective else []
    return Problem(f"fleet-{len(services)}x{len(nodes)}",
                   [Dim("cpu", "core", "core"), Dim("memory", "GiB", "GiB")], ns, ss,
                   [Requirement("trust")], blocked, list(rules),
                   {"latency": CostTerm("latency", table)}, obj)


#: the manager's greedy order refused this feasible instance (found and shrunk by Hypothesis):
#: s1 goes to the more trusted n2, which leaves no memory for s2, which only n2 may run
SHADOWED = fleet([(4, 8, 0, 1), (4, 8, 1, 1)], [(1, 1, 1, 0), (1, 8, 1, 1)])


# ------------------------------------------------------------------------------ views
def test_plain_view_of_a_spec_schedule():
    problem = formalc.schedule_problem(formalc.load(TINY), "Tiny")
    view = plain_view(problem)
    assert view["dims"] == ["cpu"]
    assert view["nodes"][0] == {"name": "n1", "capacity": {"cpu": 4},
                                "attrs": {"tier": "Gw", "cpu": "4", "trust": "2"}}
    a = view["services"][0]
    assert (a["name"], a["replicas"], a["spread"], a["allowed"]) == ("a", 2, True, ["n2", "n3"])
    assert view["objective"] == [{"text": "nodes_used", "per_replica": {
        "a": {"n1": 0, "n2": 0, "n3": 0}, "b": {"n1": 0, "n2": 0, "n3": 0}},
        "peak": 0, "peak_dims": [], "nodes_used": 1, "const": 0}]
    json.dumps(view)                        # plain data only


def test_plain_view_objective_and_affinities():
    p = fleet([(4, 8, 0, 5), (4, 8, 0, 10)], [(1, 1, 1, 0), (1, 1, 1, 0)],
              rules=[Affinity("apart", "split", ((0, 1),))])
    view = plain_view(p)
    lv = view["objective"][0]
    assert lv["per_replica"]["s1"] == {"n1": 0.25, "n2": 0.5}
    assert (lv["peak"], lv["peak_dims"]) == (2, ["cpu", "memory"])
    assert view["apart"] == [{"rule": "split", "service": "s1", "with": "s2"}]
    assert view["near"] == []


def test_answers_by_name_or_index_and_malformed_ones():
    p = formalc.schedule_problem(formalc.load(TINY), "Tiny")
    assert to_placement(p, {"a": ["n3", "n2"], "b": ["n1"]}) == (((1, 2), (0,)), [])
    assert to_placement(p, [[1, 2], [0]]) == (((1, 2), (0,)), [])
    assert to_placement(p, {"a": ["n2", "n3"]}) == (((1, 2), ()), [])   # b left out
    pl, bad = to_placement(p, {"a": ["n2", "n9"], "c": ["n1"]})
    assert pl is None and [b.constraint for b in bad] == ["unknown node 'n9'",
                                                           "unknown service 'c'"]
    pl, bad = to_placement(p, [[0]])
    assert pl is None and "one entry per service (2), got a sequence of 1" in bad[0].message


# ------------------------------------------------------------------------------ verdicts
def test_every_broken_constraint_is_named():
    p = formalc.schedule_problem(formalc.load(TINY), "Tiny")
    rep = check_scheduler(lambda v: {"a": ["n1", "n1"], "b": ["n1"]}, [p])
    row = rep.rows[0]
    assert row.outcome is Outcome.VIOLATION and row.status == "optimal"
    assert [b.constraint for b in row.violations] == [
        "spread of a", "requirement trust: a on n1", "requirement trust: a on n1",
        "capacity cpu on n1"]
    assert row.violations[-1] == Broken("capacity", "capacity cpu on n1",
                                        "n1: cpu 8core placed > capacity 4core", None, "n1",
                                        "cpu")
    assert rep.summary()["violated_constraints"] == {"capacity cpu": 1, "requirement trust": 1,
                                                     "spread": 1}
    q = fleet([(4, 8, 0, 1), (4, 8, 0, 1)], [(1, 1, 1, 0), (1, 1, 1, 0), (1, 1, 1, 0)],
              rules=[Affinity("near", "pair", ((0, 1),)), Affinity("apart", "split", ((1, 2),))])
    row = check_scheduler(lambda v: [["n1"], ["n2"], ["n2"]], [q]).rows[0]
    assert [b.constraint for b in row.violations] == ["near pair: s1 on n1",
                                                      "apart split: s2 on n2"]
    assert {b.group for b in row.violations} == {"near pair", "apart split"}
    assert rep.exit_code == 1 and not rep.ok
    # one smallest instance per kind of violation; a given instance is reported as it is
    assert [x.target for x in rep.smallest] == ["violation spread", "violation requirement",
                                                "violation capacity"]
    assert all(not x.shrunk and x.note.startswith("as given") and x.row.source == "given"
               for x in rep.smallest)


def test_exhaustive_scheduler_meets_formalcs_optimum_exactly():
    rep = check_scheduler(exhaustive, problems(max_services=3, max_nodes=3, max_replicas=2),
                          examples=30, seed=1)
    s = rep.summary()
    assert s["findings"] == 0 and rep.exit_code == 0, rep.to_text()
    assert s["outcomes"]["valid"] >= 15 and s["outcomes"]["refused-infeasible"] >= 1
    assert all(r.proven and r.ratio == 1 for r in rep.rows if r.outcome is Outcome.VALID)
    assert s["ratio"]["max"] == s["ratio"]["median"] == 1.0
    assert s["disagreements"] == 0


def test_refusing_a_feasible_instance_is_a_finding():
    rep = check_scheduler(edge_manager, [SHADOWED], refuse=REFUSE)
    row = rep.rows[0]
    assert row.outcome is Outcome.REFUSED_FEASIBLE and row.outcome.finding
    assert row.detail.startswith("InsufficientResources: `s2#1` does not fit on `n2`")
    assert row.status == "optimal" and evaluate(SHADOWED, row.formalc_placement).valid
    assert SHADOWED.named(row.formalc_placement) == {"s1": ["n1"], "s2": ["n2"]}
    assert rep.exit_code == 1
    assert "refused a feasible instance" in rep.to_text()


def test_without_the_optimum_refusals_are_judged_by_a_feasibility_search():
    rep = check_scheduler(edge_manager, [SHADOWED, fleet([(4, 8, 0, 1)], [(1, 1, 1, 0)])],
                          refuse=REFUSE, optimum=False)
    refused, placed = rep.rows
    assert refused.outcome is Outcome.REFUSED_FEASIBLE and refused.status == "feasible"
    assert placed.outcome is Outcome.VALID and placed.status is None and placed.ratio is None
    assert rep.summary()["ratio"]["count"] == 0


def test_refusing_an_infeasible_instance_is_correct():
    hopeless = fleet([(4, 8, 0, 1)], [(5, 1, 1, 0)])
    rep = check_scheduler(lambda v: None, [hopeless])
    assert rep.rows[0].outcome is Outcome.REFUSED_INFEASIBLE and rep.rows[0].detail == \
        "returned None"
    assert rep.ok and rep.exit_code == 0
    # a placement for an instance formalc proves infeasible is wrong by construction
    row = check_scheduler(lambda v: {"s1": ["n1"]}, [hopeless]).rows[0]
    assert row.outcome is Outcome.VIOLATION and row.status == "infeasible"
    assert [b.constraint for b in row.violations] == ["capacity cpu on n1"]
    assert "formalc proves the instance infeasible" in row.notes[0]


def test_a_crash_is_a_finding_and_other_exceptions_are_not_refusals():
    def broken(view):
        return {s["name"]: [view["nodes"][5]["name"]] for s in view["services"]}
    rep = check_scheduler(broken, [SHADOWED])
    assert rep.rows[0].outcome is Outcome.CRASHED
    assert rep.rows[0].detail == "IndexError: list index out of range"
    # without refuse=, the edge manager's InsufficientResources is a crash, not a refusal
    assert check_scheduler(edge_manager, [SHADOWED]).rows[0].outcome is Outcome.CRASHED


def test_problem_view_gets_a_copy():
    p = fleet([(4, 8, 0, 1)], [(1, 1, 1, 0)])

    def scribble(problem: Problem):
        problem.nodes.clear()
        return ((0,),)
    rep = check_scheduler(scribble, [p], view="problem")
    assert rep.rows[0].outcome is Outcome.VALID and p.n_nodes == 1
    with pytest.raises(ValueError, match="view 'dicts'"):
        check_scheduler(scribble, [p], view="dicts")


def test_ratio_without_objective_and_against_an_optimum():
    p = fleet([(4, 8, 0, 1), (4, 8, 0, 19)], [(1, 1, 1, 0)], objective=None)
    row = check_scheduler(lambda v: {"s1": ["n2"]}, [p]).rows[0]
    assert row.outcome is Outcome.VALID and row.ratio is None and row.levels == []
    q = fleet([(4, 8, 0, 1), (4, 8, 0, 19)], [(1, 1, 1, 0)])
    row = check_scheduler(lambda v: {"s1": ["n2"]}, [q]).rows[0]
    # n2: 19/20 + 1 × 1/4 peak = 6/5; optimum n1: 1/20 + 1/4 = 3/10
    assert row.levels == [Fraction(6, 5)] and row.optimum == [Fraction(3, 10)]
    assert row.ratio == 4 and row.proven


def test_a_valid_placement_below_a_proven_optimum_is_reported_as_formalcs_bug():
    from formalc.conform.scheduler import SchedulerReport, _compare
    row = SchedulerRow(0, SHADOWED, Outcome.VALID, levels=[Fraction(1)], status="optimal",
                       optimum=[Fraction(2)])
    _compare(row)
    assert row.ratio == Fraction(1, 2) and row.notes[0].startswith("formalc disagrees")
    assert SchedulerReport("x", [row]).exit_code == 3


# ------------------------------------------------------------------------------ the edge manager
def test_edge_manager_satisfies_every_hard_constraint():
    rep = check_scheduler(edge_manager, problems(**SINGLE), examples=40, refuse=REFUSE)
    s = rep.summary()
    assert s["outcomes"]["violation"] == 0 and s["outcomes"]["crashed"] == 0, rep.to_text()
    assert s["outcomes"]["valid"] >= 15
    proven = [r.ratio for r in rep.rows if r.ratio is not None and r.proven]
    assert proven and all(x >= 1 for x in proven)
    assert s["ratio"]["median"] >= 1 and s["ratio"]["max"] >= s["ratio"]["median"]
    # what it does get wrong: refusing instances a better order would place (SHADOWED)
    for r in rep.rows:
        if r.outcome is Outcome.REFUSED_FEASIBLE:
            assert r.detail.startswith(("InsufficientResources", "NoSuitableNode"))
            assert evaluate(r.problem, r.formalc_placement).valid


def test_buggy_twin_is_caught_with_the_named_constraint_and_shrunk():
    rep = check_scheduler(lax_edge_manager, problems(**SINGLE), examples=40, refuse=REFUSE)
    s = rep.summary()
    assert s["outcomes"]["violation"] >= 1 and rep.exit_code == 1
    assert set(s["violated_constraints"]) == {"capacity memory"}
    small = next(x for x in rep.smallest if x.target == "violation capacity")
    assert small.shrunk and small.tried > 0
    row = small.row
    assert row.source == "shrunk" and row.outcome is Outcome.VIOLATION
    assert row.problem.n_nodes == 1 and row.problem.n_services == 2
    (b,) = row.violations
    assert (b.kind, b.dim, b.node, b.constraint) == ("capacity", "memory", "n1",
                                                     "capacity memory on n1")
    # the transcript is a program that replays the finding
    assert "import test_conform_scheduler" in small.transcript
    scope: dict = {}
    exec(small.transcript.replace("print(report.to_text())", ""), scope)  # noqa: S102
    assert [b.constraint for b in scope["report"].rows[0].violations] == ["capacity memory on n1"]
    text = rep.to_text()
    assert "capacity memory: broken on" in text and "shrunk by Hypothesis" in text
    assert "✘ capacity memory on n1" in text and "replay:" in text


def test_seed_manager_has_no_notion_of_replicas():
    """The seed's select_edge_node knows nothing of replicas: deploying two replicas of a
    service one after the other may put both on its best node — where other nodes could take
    them, and (the smallest instance) where it should have refused."""
    rep = check_scheduler(edge_manager, problems(max_services=3, max_nodes=3, affinities=False),
                          examples=40, refuse=REFUSE)
    assert set(rep.summary()["violated_constraints"]) == {"spread"}
    assert any(r.status == "optimal" for r in rep.findings)
    small = next(x for x in rep.smallest if x.target == "violation spread")
    row = small.row
    assert [b.constraint for b in row.violations] == ["spread of s1"]
    assert (row.problem.n_services, row.problem.n_nodes) == (1, 1)
    assert row.problem.services[0].replicas == 2
    assert row.placement == ((0, 0),) and row.status == "infeasible"


def test_spec_schedule_instances_and_the_models_problem_procedure():
    spec = formalc.load(ROOT / "specs" / "scheduling.iot")
    base = formalc.schedule_problem(spec, "SeedPlacement")
    good = check_scheduler(em.place, problems(spec, "SeedPlacement"), view="problem",
                           examples=25, refuse=REFUSE, explicit=[base])
    assert good.rows[0].source == "given" and good.rows[0].problem is base
    assert good.rows[0].outcome is Outcome.VALID and good.rows[0].ratio == 1
    assert good.summary()["outcomes"]["violation"] == 0
    assert all(r.ratio >= 1 for r in good.rows if r.ratio is not None)
    bad = check_scheduler(em.lax_place, problems(base), view="problem", examples=25,
                          refuse=REFUSE)
    assert set(bad.summary()["violated_constraints"]) == {"capacity memory"}


# ------------------------------------------------------------------------------ reports
def test_json_report_fields():
    rep = check_scheduler(lax_edge_manager, problems(**SINGLE), examples=15, refuse=REFUSE,
                          seed=3)
    doc = json.loads(json.dumps(rep.to_json()))
    assert doc["schema"] == "formalc-conform-scheduler/1"
    assert doc["scheduler"] == "test_conform_scheduler:lax_edge_manager"
    assert (doc["view"], doc["seed"], doc["exit_code"]) == ("plain", 3, rep.exit_code)
    s = doc["summary"]
    assert set(s) >= {"instances", "outcomes", "findings", "violated_constraints", "ratio",
                      "optima_proven", "infeasible", "seconds", "instances_per_s"}
    assert set(s["ratio"]) == {"count", "proven", "median", "max", "median_proven",
                               "max_proven"}
    assert len(doc["instances"]) == s["instances"]
    row = next(r for r in doc["instances"] if r["outcome"] == "valid")
    assert set(row) >= {"index", "source", "size", "outcome", "finding", "violations",
                        "placement", "cost", "formalc", "ratio", "ratio_bound", "seconds"}
    assert set(row["formalc"]) == {"status", "optimum", "bound", "placement"}
    assert Fraction(row["ratio"]["exact"]) >= 1 and row["finding"] is False
    assert set(row["cost"][0]) == {"value", "exact"}
    for sm in doc["smallest"]:
        assert set(sm) == {"target", "shrunk", "tried", "note", "instance", "transcript"}
        assert sm["instance"]["finding"] is True


def test_text_report_lists_counts_ratios_and_rows():
    rep = check_scheduler(exhaustive, [SHADOWED, fleet([(4, 8, 0, 1)], [(5, 1, 1, 0)])],
                          name="exhaustive")
    text = rep.to_text()
    assert text.startswith("scheduler exhaustive: 2 instances, no finding (seed 0)\n")
    assert "     1  valid placement" in text
    assert "     1  refused an infeasible instance (correct)" in text
    assert "cost / formalc's optimum: median 1.000, max 1.000 over 1 placements" in text
    assert "NoPlacement: no placement satisfies the constraints" in text


# ------------------------------------------------------------------------------ helpers
def test_problem_source_rebuilds_the_problem():
    names = {c.__name__: c for c in (Fraction, Problem, Dim, Node, Service, Requirement,
                                     Affinity, CostTerm, Linear, Term)}
    for path, name in [(TINY, "Tiny"), (ROOT / "examples/plant_floor/plant.iot", "Plant")]:
        p = formalc.schedule_problem(formalc.load(path), name)
        q = eval(problem_source(p), names)
        q.loc = p.loc
        assert q == p


def test_restrict_keeps_affinities_costs_and_requirements_consistent():
    p = formalc.schedule_problem(formalc.load(ROOT / "examples/plant_floor/plant.iot"), "Plant")
    si, _ = p.index()
    keep = [si["digital-twin"], si["historian"], si["mqtt-broker"]]
    q = restrict(p, keep, [0, 5, 12], replicas=[1, 1, 1], factors=[Fraction(1, 2)] * 3)
    assert [s.name for s in q.services] == ["digital-twin", "historian", "mqtt-broker"]
    assert [n.cap for n in q.nodes] == [tuple(c / 2 for c in p.nodes[j].cap) for j in (0, 5, 12)]
    names = [s.name for s in q.services]
    assert {(a.kind, a.name, tuple((names[x], names[y]) for x, y in a.pairs))
            for a in q.affinities} == {
        (a.kind, a.name, tuple((p.services[x].name, p.services[y].name) for x, y in a.pairs))
        for a in p.affinities}
    for k, i in enumerate(sorted(keep)):
        for m, j in enumerate((0, 5, 12)):
            assert q.blocked[k][m] == p.blocked[i][j]
            assert q.costs["latency"].table[k][m] == p.costs["latency"].table[i][j]


def test_load_scheduler():
    assert load_scheduler("models.edge_manager:place") is em.place
    assert load_scheduler(f"{ROOT / 'models' / 'edge_manager.py'}:lax_place").__name__ == \
        "lax_place"
    for ref, msg in [("models.edge_manager", "write it as module:function"),
                     ("models.edge_manager:nothing", "has no attribute 'nothing'"),
                     ("models.edge_manager:LATENCY_WEIGHT", "not a callable")]:
        with pytest.raises(ValueError, match=msg):
            load_scheduler(ref)


@pytest.mark.slow
def test_edge_manager_figures():
    """The figures quoted in docs/conformance.md: 150 instances of up to 8 services on 5
    nodes, one replica each."""
    rep = check_scheduler(edge_manager, problems(max_services=8, max_nodes=5, max_replicas=1,
                                                 affinities=False),
                          examples=150, refuse=REFUSE, shrink=False)
    s = rep.summary()
    assert s["outcomes"]["violation"] == 0 and s["outcomes"]["crashed"] == 0
    assert all(x >= 1 for x in rep.ratios())
    print(json.dumps(s, indent=1))
