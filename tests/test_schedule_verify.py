"""Placement verification (formalc/schedule/verify.py): a given placement checked, failover for
every set of k failed nodes (stranded replicas only, or a full re-plan), scaling a service."""
from __future__ import annotations

import json

import pytest

from formalc.schedule.evaluate import evaluate
from formalc.schedule.explain import apply_relaxation
from formalc.schedule.feasible import find_placement
from formalc.schedule.problem import Affinity
from formalc.schedule.verify import (MODES, Move, check_placement, failover, scaling)
from test_schedule_explain import SEC, node, problem, relaxations, svc, three


def fleet():
    """e1 runs a (3 cpu), e2 runs b (3 cpu), e3 runs c and d (1 cpu each); 4 cpu per node."""
    p = problem(three(), [svc("a", 3, 1, 1, 21), svc("b", 3, 1, 1, 22), svc("c", 1, 1, 1, 23),
                          svc("d", 1, 1, 1, 24)])
    return p, ((0,), (1,), (2,), (2,))


def pair():
    """Two 4-cpu nodes: a and c (2 cpu each) fill e1, b (2 cpu) sits on e2."""
    p = problem([node("e1", 4, 16, 5), node("e2", 4, 16, 6)],
                [svc("a", 2, 1, 1, 21), svc("b", 2, 1, 1, 22), svc("c", 2, 1, 1, 23)])
    return p, ((0,), (1,), (0,))


# ---------------------------------------------------------------------------------- check
def test_check_placement_in_words():
    p, pl = fleet()
    assert check_placement(p, pl).holds and check_placement(p, pl).violations == []
    bad = check_placement(p, ((0, 0), (0,), (2,), ()))
    assert not bad.holds
    assert bad.violations == ["a: 2 replica(s) placed, 1 required",
                              "a: two replicas on the same node",
                              "d: 0 replica(s) placed, 1 required",
                              "e1: cpu 9 placed > capacity 4"]
    q = problem(three(), [svc("cam", 1, 1)], [SEC], {(0, 0): {0}})
    assert check_placement(q, ((0,),)).violations == [
        "cam on e1 breaks requirement `security`"]
    assert check_placement(q, None).violations[0].startswith("a placement needs one entry")
    assert check_placement(q, ((0,),)).to_json() == {
        "holds": False, "violations": ["cam on e1 breaks requirement `security`"]}


# ---------------------------------------------------------------------------------- failover
def test_failover_stranded_names_the_node_and_the_stranded_service():
    p, pl = fleet()
    rep = failover(p, 1, placement=pl, mode="stranded")
    assert rep.verdict == "violated" and rep.total == 3 and rep.checked == 3
    cx = rep.counterexample
    assert cx.failed == ("e1",) and cx.stranded == ["a"] and cx.outcome == "fails"
    assert cx.explanation.reasons[0].message == (
        "service a has 1 replica to place; no node can take it: e2 has 1 cpu free beside b, it "
        "needs 3 cpu; e3 has 2 cpu free beside c and d, it needs 3 cpu")
    assert relaxations(cx.explanation)[0] == ("add-capacity", "e3", "+1 cpu on e3")
    assert [c.outcome for c in rep.cases] == ["fails", "fails", "survives"]
    assert rep.cases[1].failed == ("e2",) and rep.cases[1].stranded == ["b"]
    last = rep.cases[2]
    assert last.stranded == ["c", "d"]
    assert {(m.service, m.from_node) for m in last.moves} == {("c", "e3"), ("d", "e3")}
    assert {m.to_node for m in last.moves} <= {"e1", "e2"}
    # the replicas on surviving nodes stayed where they were
    assert last.placement["a"] == ["e1"] and last.placement["b"] == ["e2"]
    assert evaluate(p.without_nodes([2]), p.without_nodes([2]).from_names(
        last.placement)).valid
    assert rep.summary().startswith("violated: e1 down: a cannot be re-placed: service a has")


def test_failover_replan_survives_where_stranded_does_not():
    p, pl = fleet()
    rep = failover(p, 1, placement=pl, mode="replan")
    assert rep.verdict == "proved" and rep.counterexample is None
    assert [c.failed for c in rep.cases] == [("e1",), ("e2",), ("e3",)]
    assert all(c.survives for c in rep.cases)
    e1 = rep.cases[0]
    assert e1.stranded == ["a"]
    assert any(m.service == "a" and m.from_node == "e1" for m in e1.moves)
    sub = p.without_nodes([0])
    assert "e1" not in {n for ns in e1.placement.values() for n in ns}
    assert evaluate(sub, sub.from_names(e1.placement)).valid
    assert rep.summary() == ("proved: the placement survives each of the 3 failure sets of 1 "
                             "node (replan)")


def test_failover_two_nodes_counts_every_set():
    p, pl = fleet()
    rep = failover(p, 2, placement=pl, mode="replan")
    assert rep.total == 3 and rep.verdict == "violated"
    assert rep.counterexample.failed == ("e1", "e2")
    assert rep.counterexample.stranded == ["a", "b"]
    assert rep.counterexample.explanation.reasons[0].message == (
        "services a, b, c and d together need 8 cpu (a 3 cpu, b 3 cpu, c 1 cpu, d 1 cpu); the "
        "only node has 4 cpu")
    big = problem([node(f"e{k}", 8, 16, k) for k in range(1, 6)], [svc("a", 1, 1, 2)])
    rep = failover(big, 3, mode="replan")
    assert rep.total == 10 and rep.verdict == "proved" and rep.checked == 10


def test_failover_without_a_placement_finds_one_and_says_so():
    p, _ = fleet()
    rep = failover(p, 1)
    assert rep.notes == ["no placement was given: checked against one found by the "
                         "feasibility search"]
    assert rep.placement is not None and evaluate(p, p.from_names(rep.placement)).valid
    assert rep.verdict in ("proved", "violated")


def test_failover_distinct_replicas_lose_their_last_node():
    p = problem([node("e1", 4, 16, 5), node("e2", 4, 16, 6)], [svc("cam", 1, 1, 2, 20)])
    for mode in MODES:
        rep = failover(p, 1, placement=((0, 1),), mode=mode)
        assert rep.verdict == "violated"
        assert rep.counterexample.failed == ("e1",)
        assert rep.counterexample.explanation.reasons[0].message == (
            "service cam needs 2 replicas on distinct nodes; only e2 qualifies")


def test_failover_odd_questions():
    p, pl = fleet()
    bad = failover(p, 1, placement=((0, 0), (1,), (2,), (2,)))
    assert bad.verdict == "violated" and bad.counterexample.failed == ()
    assert bad.reason == "the given placement is not valid"
    assert "a: two replicas on the same node" in [
        r.message for r in bad.counterexample.explanation.reasons]
    assert bad.counterexample.describe().startswith("before any failure: ")
    too_many = failover(p, 4, placement=pl)
    assert too_many.verdict == "unknown" and "3 nodes" in too_many.reason
    none = failover(p, 0, placement=pl)
    assert none.verdict == "proved" and none.total == 1
    out_of_time = failover(p, 1, placement=pl, time_limit=0)
    assert out_of_time.verdict == "unknown"             # never proved without checking
    assert out_of_time.reason == "time ran out after 0 of 3 failure sets"
    infeasible = problem(three(), [svc("x", 9, 1)])
    rep = failover(infeasible, 1)
    assert rep.verdict == "violated" and rep.counterexample.failed == ()
    assert "fits no node" in rep.counterexample.explanation.reasons[0].message
    with pytest.raises(ValueError, match="stranded, replan"):
        failover(p, 1, placement=pl, mode="bogus")
    empty = problem([], [])
    assert failover(empty, 0).verdict == "proved"


def test_failover_report_is_json():
    p, pl = fleet()
    data = json.loads(json.dumps(failover(p, 1, placement=pl).to_json()))
    assert data["verdict"] == "violated" and data["total"] == 3
    assert data["counterexample"]["failed"] == ["e1"]
    assert data["counterexample"]["stranded"] == ["a"]
    assert data["counterexample"]["explanation"]["reasons"][0]["message"].startswith(
        "service a has 1 replica to place")
    assert data["cases"][2]["moves"][0]["from"] == "e3"
    assert data["placement"] == {"a": ["e1"], "b": ["e2"], "c": ["e3"], "d": ["e3"]}


def test_failover_with_affinity():
    p = problem(three(), [svc("db", 2, 1, 1, 21), svc("api", 1, 1, 1, 22)],
                aff=[Affinity("near", "colocate", ((1, 0),))])
    rep = failover(p, 1, placement=((0,), (0,)), mode="stranded")
    assert rep.verdict == "proved"
    moved = rep.cases[0]
    assert moved.failed == ("e1",) and moved.placement["db"] == moved.placement["api"]


# ---------------------------------------------------------------------------------- scaling
def test_scaling_up_keeps_existing_replicas():
    p = problem(three(), [svc("cam", 1, 1, 2, 20)])
    rep = scaling(p, 0, 3, placement=((0, 1),))
    assert rep.verdict == "proved" and rep.mode == "stranded"
    assert rep.moves == [Move("cam", None, "e3")]
    assert rep.placement == {"cam": ["e1", "e2", "e3"]}
    no = scaling(p, 0, 4, placement=((0, 1),))
    assert no.verdict == "violated"
    assert no.explanation.reasons[0].message == (
        "service cam needs 4 replicas on distinct nodes; only e1, e2 and e3 qualify")
    assert relaxations(no.explanation) == [("lower-replicas", "cam", "4 → 3")]


def test_scaling_stranded_versus_replan():
    p, pl = pair()
    kept = scaling(p, 1, 2, placement=pl, mode="stranded")
    assert kept.verdict == "violated"
    assert kept.explanation.reasons[0].message == (
        "service b has 1 replica to place besides those that stay on e2; no node can take it: "
        "e1 has 0 cpu free beside a and c, it needs 2 cpu; e2 already runs it")
    for r in kept.explanation.relaxations:
        st, _ = find_placement(apply_relaxation(p.with_replicas({1: 2}), r),
                               fixed={0: (0,), 1: (1,), 2: (0,)})
        assert st == "sat", r.message
    moved = scaling(p, 1, 2, placement=pl, mode="replan")
    assert moved.verdict == "proved"
    assert sorted(moved.placement["b"]) == ["e1", "e2"]
    assert Move("b", None, "e1") in moved.moves
    assert any(m.service in ("a", "c") and m.from_node == "e1" for m in moved.moves)
    assert scaling(p, 1, 2).verdict == "proved" and scaling(p, 1, 2).mode == "replan"


def test_scaling_down_and_odd_requests():
    p = problem(three(), [svc("cam", 1, 1, 3, 20)])
    down = scaling(p, 0, 1, placement=((0, 1, 2),))
    assert down.verdict == "proved" and len(down.placement["cam"]) == 1
    assert down.moves == []
    assert scaling(p, 5, 1).verdict == "unknown"
    assert scaling(p, 5, 1).reason == "there is no service #5"
    assert scaling(p, 0, -1).verdict == "unknown"
    assert scaling(p, 0, 0).placement == {"cam": []}
    data = json.loads(json.dumps(scaling(p, 0, 4).to_json()))
    assert data["verdict"] == "violated" and data["after"] == 4
    assert data["explanation"]["relaxations"][0]["kind"] == "lower-replicas"
