"""Infeasibility explanations (formalc/schedule/explain.py) and the feasibility model under
them (formalc/schedule/feasible.py): the sentences a person reads, the unsat core (minimal),
and the relaxations (each one applied and re-solved)."""
from __future__ import annotations

import dataclasses
import itertools
from fractions import Fraction as F

from hypothesis import HealthCheck, given, settings, strategies as st

from formalc.schedule.evaluate import evaluate
from formalc.schedule.explain import apply_relaxation, explain_infeasible, unsat_core
from formalc.schedule.feasible import Model, find_placement, greedy, obstacles
from formalc.schedule.problem import (Affinity, Dim, Loc, Node, Problem, Requirement,
                                      Service)

GiB = F(2**30)
SPEC = "specs/plant.iot"


def loc(line, text=None):
    return Loc(SPEC, line, 3, text)


DIMS = [Dim("cpu", loc=loc(2)), Dim("memory", "B", "GiB", GiB, loc=loc(3))]
SEC = Requirement("security", loc(14, "n.trust ≥ s.minTrust"))
ZONE = Requirement("zone", loc(15, "n.zone = s.zone"))


def node(name, cpu, mem, line):
    return Node(name, (F(cpu), mem * GiB), loc=loc(line))


def svc(name, cpu, mem, r=1, line=20, spread=True):
    return Service(name, (F(cpu), mem * GiB), r, spread, loc=loc(line))


def problem(nodes, svcs, reqs=(), blocks=None, aff=()):
    blocked = [[frozenset() for _ in nodes] for _ in svcs]
    for (i, j), rs in (blocks or {}).items():
        blocked[i][j] = frozenset(rs)
    return Problem("plant", list(DIMS), list(nodes), list(svcs), list(reqs), blocked,
                   list(aff), loc=loc(1))


def three(cpu=4, mem=16):
    return [node(f"e{k}", cpu, mem, k) for k in (1, 2, 3)]


def relaxations(exp):
    return [(r.kind, r.subject, r.amount) for r in exp.relaxations]


def assert_relaxations_work(p, exp, fixed=None):
    assert exp.relaxations, "an infeasible problem with relaxable parts gets relaxations"
    for r in exp.relaxations:
        q = apply_relaxation(p, r)
        st_, pl = find_placement(q, fixed=fixed, time_limit=5)
        assert st_ == "sat", r.message
        assert evaluate(q, pl).valid


def assert_core_minimal(p, keys, fixed=None):
    m = Model(p, fixed=fixed, tracked=True)
    assert m.check(set(keys))[0] == "unsat"
    for k in keys:
        assert m.check(set(keys) - {k})[0] == "sat", k


# ---------------------------------------------------------------------------------- sentences
def test_only_one_node_qualifies_by_security():
    p = problem(three(), [svc("camera-analytics", 2, 8, 2, line=20), svc("db", 3, 12, 2, 21)],
                [SEC], {(0, 0): {0}, (0, 1): {0}})
    exp = explain_infeasible(p)
    assert [r.message for r in exp.reasons] == [
        "service camera-analytics needs 2 replicas on distinct nodes with `security` "
        "(n.trust ≥ s.minTrust, specs/plant.iot:14); only e3 qualifies"]
    assert [x.where() for x in exp.reasons[0].locs] == ["specs/plant.iot:20",
                                                        "specs/plant.iot:14"]
    assert exp.core == ["replicas:camera-analytics", "distinct:camera-analytics",
                        "requirement:security:camera-analytics"]
    assert exp.complete
    assert relaxations(exp)[0] == ("lower-replicas", "camera-analytics", "2 → 1")
    assert ("drop-requirement+lower-replicas", "security; db", "for camera-analytics; 2 → 1") \
        in relaxations(exp)
    assert_relaxations_work(p, exp)
    core = unsat_core(p)
    assert core.status == "unsat" and core.complete
    assert_core_minimal(p, core.groups)


def test_fits_no_node_names_the_largest():
    nodes = [node("e5", 2, 4, 5), node("e6", 4, 8, 6), node("e7", 8, 16, 7)]
    p = problem(nodes, [svc("trainer", 2, 24, line=30)])
    exp = explain_infeasible(p)
    assert exp.reasons[0].message == ("service trainer fits no node: it needs 24GiB memory; "
                                      "the largest node, e7, has 16GiB")
    assert [x.where() for x in exp.reasons[0].locs] == ["specs/plant.iot:30",
                                                        "specs/plant.iot:7"]
    # the smallest addition comes first, and is exactly what is missing
    first = exp.relaxations[0]
    assert (first.kind, first.subject, first.amount) == ("add-capacity", "e7",
                                                         "+8GiB memory on e7")
    assert first.message == "add 8GiB memory (16GiB → 24GiB) to e7"
    assert ("add-capacity", "e5", "+20GiB memory on e5") in relaxations(exp)
    assert ("lower-replicas", "trainer", "1 → 0") in relaxations(exp)
    assert_relaxations_work(p, exp)
    short = p.__class__(**{**p.__dict__, "nodes": [
        node("e5", 2, 4, 5), node("e6", 4, 8, 6),
        Node("e7", (F(8), 24 * GiB - 1), loc=loc(7))]})
    assert find_placement(short)[0] == "unsat"       # one byte less is not enough


def test_fits_no_node_per_node_reasons():
    p = problem(three(), [svc("big", 8, 24, line=30)], [SEC], {(0, 0): {0}})
    msg = explain_infeasible(p).reasons[0].message
    assert msg == ("service big fits no node: `security` (n.trust ≥ s.minTrust, "
                   "specs/plant.iot:14) rules out e1; it needs 8 cpu, more than e2 (4 cpu) and "
                   "e3 (4 cpu) have; it needs 24GiB memory, more than e2 (16GiB memory) and e3 "
                   "(16GiB memory) have")


def test_class_of_services_by_count():
    nodes = [node("e1", 8, 16, 5), node("e2", 8, 16, 6), node("e3", 8, 64, 7)]
    p = problem(nodes, [svc("a", 1, 12, 2, 21), svc("b", 1, 12, 1, 22)], [ZONE],
                {(0, 2): {0}, (1, 2): {0}})
    exp = explain_infeasible(p)
    assert exp.reasons[0].message == (
        "services a and b need 3 replicas and can only run on e1 and e2 (by `zone` (n.zone = "
        "s.zone, specs/plant.iot:15)), but e1 and e2 hold at most 1 each (16GiB memory each; "
        "a replica needs at least 12GiB memory)")
    assert len(exp.reasons) == 1          # the core says nothing the class does not
    got = relaxations(exp)
    assert got[0] == ("lower-replicas", "a", "2 → 1")
    assert ("add-capacity", "e1", "+8GiB memory on e1") in got
    assert ("drop-requirement", "zone", "for a") in got
    assert ("drop-requirement", "zone", "for b") in got
    assert_relaxations_work(p, exp)


def test_class_of_services_by_volume():
    nodes = [node("e1", 4, 16, 5), node("e2", 4, 16, 6)]
    p = problem(nodes, [svc("a", 1, 4, 1, 21), svc("b", 1, 10, 3, 22, spread=False)])
    exp = explain_infeasible(p)
    assert exp.reasons[0].message == (
        "services a and b together need 34GiB memory (a 4GiB, b 3 × 10GiB); all 2 nodes "
        "have 32GiB in all")
    assert_relaxations_work(p, exp)


def test_packing_conflict_from_the_core():
    nodes = [node("e1", 8, 10, 5), node("e2", 8, 10, 6)]
    p = problem(nodes, [svc(n, 1, m, 1, 21 + k) for k, (n, m) in
                        enumerate([("a", 7), ("b", 5), ("c", 4), ("d", 4)])])
    exp = explain_infeasible(p)
    assert [r.message for r in exp.reasons] == [
        "no packing of the replicas of a, b, c and d fits e1 (10GiB memory) and e2 (10GiB "
        "memory)"]
    assert {x.where() for x in exp.reasons[0].locs} >= {"specs/plant.iot:5",
                                                       "specs/plant.iot:21"}
    assert relaxations(exp)[:2] == [("add-capacity", "e1", "+1GiB memory on e1"),
                                    ("add-capacity", "e2", "+1GiB memory on e2")]
    assert_relaxations_work(p, exp)
    assert_core_minimal(p, unsat_core(p).groups)


def test_affinity_rules_in_the_core():
    nodes = [node("e1", 4, 16, 5), node("e2", 4, 16, 6)]
    rules = [Affinity("apart", "split", ((0, 1),), loc(30, "a ≠ b")),
             Affinity("near", "with", ((1, 0),), loc(31, "b ~ a"))]
    p = problem(nodes, [svc("a", 1, 1, 2, 21), svc("b", 1, 1, 1, 22)], aff=rules)
    exp = explain_infeasible(p)
    # a fills both nodes and b may share neither (the core Z3 finds first; `with` is another)
    assert [r.message for r in exp.reasons] == [
        "service b needs 1 replica",
        "service a needs 2 replicas on distinct nodes",
        "rule `split` (a ≠ b, specs/plant.iot:30) keeps a and b off the same node"]
    assert exp.core == ["replicas:a", "distinct:a", "replicas:b", "apart:split:a:b"]
    assert_core_minimal(p, unsat_core(p).groups)
    got = relaxations(exp)
    assert ("drop-affinity", "split", "a apart from b") in got
    assert ("drop-affinity+lower-replicas", "with; a", "b near a; 2 → 1") in got
    assert_relaxations_work(p, exp)


def test_stranded_replica_with_nowhere_to_go():
    p = problem(three(mem=16), [svc("a", 3, 1, 1, 21), svc("b", 3, 1, 1, 22),
                                svc("c", 1, 1, 1, 23), svc("d", 1, 1, 1, 24)])
    sub = p.without_nodes([0])                       # e1 failed; a ran there
    fixed = {1: (0,), 2: (1,), 3: (1,)}
    exp = explain_infeasible(sub, fixed=fixed)
    assert exp.reasons[0].message == (
        "service a has 1 replica to place; no node can take it: e2 has 1 cpu free beside b, "
        "it needs 3 cpu; e3 has 2 cpu free beside c and d, it needs 3 cpu")
    assert relaxations(exp)[0] == ("add-capacity", "e3", "+1 cpu on e3")
    assert_relaxations_work(sub, exp, fixed)
    assert_core_minimal(sub, unsat_core(sub, fixed=fixed).groups, fixed)
    assert explain_infeasible(sub) is None           # re-planning everything works


# ---------------------------------------------------------------------------------- odd input
def test_feasible_is_none_and_odd_inputs_never_raise():
    assert explain_infeasible(problem(three(), [svc("a", 1, 1, 2)])) is None
    assert explain_infeasible(problem([], [])) is None
    assert explain_infeasible(problem([], [svc("a", 1, 1, 0)])) is None
    exp = explain_infeasible(problem([], [svc("a", 1, 1, 2)]))
    assert exp.reasons[0].message == "the schedule has no nodes, but service a needs 2 replicas"
    exp = explain_infeasible(problem([], [svc("a", 1, 1, 2), svc("b", 1, 1, 1)]))
    assert exp.reasons[0].message == "the schedule has no nodes, but 2 services need 3 replicas in all"
    neg = explain_infeasible(problem(three(), [svc("a", 1, 1, -1)]))
    assert neg is not None and neg.core == ["replicas:a"]
    assert neg.reasons[0].message == "service a asks for -1 replicas; no placement has fewer than 0"
    zero = problem([Node("z", (F(0), F(0)))], [svc("a", 1, 1)])
    assert "fits no node" in explain_infeasible(zero).reasons[0].message
    tiny = problem(three(), [svc(f"s{k}", 1, 6) for k in range(8)])
    exp = explain_infeasible(tiny, time_limit=0.0)   # no time at all: still an answer
    assert exp is not None and exp.reasons


def test_pinned_replicas_that_cannot_be_kept():
    p = problem(three(), [svc("a", 1, 1, 1)], [SEC], {(0, 0): {0}})
    assert find_placement(p, fixed={0: (0,)})[0] == "unsat"      # pinned on a forbidden node
    assert find_placement(p, fixed={0: (7,)})[0] == "unsat"      # on no node at all
    assert find_placement(p, fixed={0: (1,)}) == ("sat", ((1,),))
    exp = explain_infeasible(p, fixed={0: (0,)})
    assert "keep:a" in exp.core


# ---------------------------------------------------------------------------------- property
@st.composite
def tiny_problems(draw, max_nodes=3, max_services=3):
    n = draw(st.integers(0, max_nodes))
    k = draw(st.integers(0, max_services))
    nd = draw(st.integers(1, 2))
    nodes = [Node(f"n{j}", tuple(F(draw(st.integers(0, 6))) for _ in range(nd)))
             for j in range(n)]
    svcs = [Service(f"s{i}", tuple(F(draw(st.integers(0, 4))) for _ in range(nd)),
                    draw(st.integers(0, 2)), draw(st.booleans())) for i in range(k)]
    reqs = [Requirement("r0"), Requirement("r1")]
    blocked = [[frozenset(draw(st.sets(st.integers(0, 1), max_size=2))
                          if draw(st.integers(0, 3)) == 0 else ())
                for _ in range(n)] for _ in range(k)]
    aff = []
    if k:
        for kind in ("near", "apart"):
            pairs = draw(st.lists(st.tuples(st.integers(0, k - 1), st.integers(0, k - 1)),
                                  max_size=1))
            if pairs:
                aff.append(Affinity(kind, f"{kind}0", tuple(pairs)))
    return Problem("t", [Dim("cpu"), Dim("mem", "B")][:nd], nodes, svcs, reqs, blocked, aff)


def brute_force(p, fixed=None):
    """Every placement, checked by the evaluator; the first valid one (or None)."""
    options = []
    for s in p.services:
        pick = itertools.combinations if s.spread else itertools.combinations_with_replacement
        options.append(list(pick(range(p.n_nodes), s.replicas)) if s.replicas >= 0 else [])
    for pl in itertools.product(*options):
        if fixed and not all(all(pl[i].count(j) >= fixed[i].count(j) for j in fixed[i])
                             for i in fixed):
            continue
        if evaluate(p, pl).valid:
            return pl
    return None


def groups_hold(p, counts, keys, fixed=None):
    """The tracked groups' meaning, written independently of the Z3 encoding."""
    for key in keys:
        kind = key[0]
        if kind == "replicas" and sum(counts[key[1]]) != p.services[key[1]].replicas:
            return False
        if kind == "distinct" and any(c > 1 for c in counts[key[1]]):
            return False
        if kind == "req" and any(counts[key[2]][j] for j in range(p.n_nodes)
                                 if key[1] in p.blocked[key[2]][j]):
            return False
        if kind == "cap":
            j, d = key[1], key[2]
            if sum(counts[i][j] * p.services[i].demand[d] for i in range(p.n_services)) \
                    > p.nodes[j].cap[d]:
                return False
        if kind in ("near", "apart"):
            a, b = p.affinities[key[1]].pairs[key[2]]
            for j in range(p.n_nodes):
                if kind == "near" and counts[a][j] and not counts[b][j]:
                    return False
                if kind == "apart" and counts[a][j] and (a == b or counts[b][j]):
                    return False
        if kind == "keep" and any(counts[key[1]][j] < c for j, c in
                                  ((j, fixed[key[1]].count(j)) for j in set(fixed[key[1]]))):
            return False
    return True


def some_counts_satisfy(p, keys, fixed=None):
    ranges = [list(itertools.product(range(max(s.replicas, 0) + 1), repeat=p.n_nodes))
              for s in p.services]
    return any(groups_hold(p, counts, keys, fixed) for counts in itertools.product(*ranges))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tiny_problems())
def test_explanation_exactly_when_infeasible(p):
    oracle = brute_force(p)
    status, pl = find_placement(p, time_limit=5)
    assert status == ("sat" if oracle is not None else "unsat")
    if pl is not None:
        assert evaluate(p, pl).valid
    g = greedy(p)
    assert g is None or evaluate(p, g).valid
    assert oracle is None or not obstacles(p), obstacles(p)   # counting arguments are proofs
    exp = explain_infeasible(p, time_limit=5)
    assert (exp is None) == (oracle is not None)
    if exp is not None:
        assert exp.reasons and all(r.message for r in exp.reasons)
        for r in exp.relaxations:
            assert brute_force(apply_relaxation(p, r)) is not None, r.message
            assert_smallest(p, r)


def assert_smallest(p, r):
    """No change of a relaxation can be left out, and a single amount cannot be smaller."""
    if len(r.changes) > 1:
        for c in r.changes:
            fewer = dataclasses.replace(r, changes=tuple(x for x in r.changes if x != c))
            assert brute_force(apply_relaxation(p, fewer)) is None, (r.message, c)
        return
    (c,) = r.changes
    if c[0] == "replicas" and c[2] + 1 < p.services[c[1]].replicas:
        less = dataclasses.replace(r, changes=(("replicas", c[1], c[2] + 1),))
        assert brute_force(apply_relaxation(p, less)) is None, r.message
    if c[0] == "capacity":
        less = dataclasses.replace(r, changes=(c[:3] + (str(F(c[3]) - F(1, 1000)),),))
        assert brute_force(apply_relaxation(p, less)) is None, r.message


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tiny_problems(max_nodes=2, max_services=3))
def test_core_is_a_minimal_conflict_by_brute_force(p):
    core = unsat_core(p, time_limit=5)
    if brute_force(p) is not None:
        assert core.status == "sat"
        return
    assert core.status == "unsat" and core.complete
    assert not some_counts_satisfy(p, core.groups)
    for k in core.groups:
        assert some_counts_satisfy(p, [g for g in core.groups if g != k]), k


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tiny_problems(), st.data())
def test_pinned_search_agrees_with_brute_force(p, data):
    base = brute_force(p)
    if base is None:
        return
    fixed = {i: tuple(data.draw(st.lists(st.sampled_from(w), max_size=len(w), unique=True)))
             for i, w in enumerate(base) if w}
    sub_gone = data.draw(st.lists(st.integers(0, max(p.n_nodes - 1, 0)), max_size=1,
                                  unique=True)) if p.n_nodes else []
    q = p.without_nodes(sub_gone)
    keep = [j for j in range(p.n_nodes) if j not in sub_gone]
    fx = {i: tuple(keep.index(j) for j in w if j in keep) for i, w in fixed.items()}
    fx = {i: w for i, w in fx.items() if w}
    status, pl = find_placement(q, fixed=fx, time_limit=5)
    oracle = brute_force(q, fx)
    assert oracle is None or not obstacles(q, fx), obstacles(q, fx)
    assert status == ("sat" if oracle is not None else "unsat")
    if pl is not None:
        assert evaluate(q, pl).valid
        assert all(all(pl[i].count(j) >= w.count(j) for j in w) for i, w in fx.items())
    exp = explain_infeasible(q, time_limit=5, fixed=fx)
    assert (exp is None) == (oracle is not None)
