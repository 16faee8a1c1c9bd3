"""The front end of `solve`: whatever an engine claims, the independent re-check decides.

The engine is replaced by stubs that lie in each way an encoding bug could make them lie; the
front end must never pass the lie on.
"""
import sys
import types
from fractions import Fraction as F

import pytest

from formalc.schedule.problem import Dim, Linear, Node, Problem, Service, Term
from formalc.schedule.result import EngineResult
from formalc.schedule.solve import solve


def tiny() -> Problem:
    """Two services of 3 cpu on two nodes of 4 cpu: one per node; minimise nodes used (2)."""
    return Problem(
        name="tiny", dims=[Dim("cpu", "core")],
        nodes=[Node("a", (F(4),)), Node("b", (F(4),))],
        services=[Service("x", (F(3),)), Service("y", (F(3),))],
        objective=[Linear(((Term("nodes"), F(1)),), text="nodes_used")])


def with_engine(monkeypatch, result):
    mod = types.ModuleType("formalc.schedule.engine")
    mod.optimise = lambda problem, time_limit, **kw: result
    monkeypatch.setitem(sys.modules, "formalc.schedule.engine", mod)


def test_a_placement_that_breaks_capacity_is_never_shown(monkeypatch):
    with_engine(monkeypatch, EngineResult("optimal", placement=((0,), (0,)), levels=[F(1)],
                                          bounds=[F(1)], proof="made up"))
    sol = solve(tiny(), 5)
    assert sol.status == "unknown"
    assert sol.placement is None
    assert "a: cpu 6core placed > capacity 4core" in sol.reason


def test_optimal_claim_below_the_recomputed_objective_is_downgraded(monkeypatch):
    # the engine says 1 node for a placement that uses 2: its bound (1) is not met
    with_engine(monkeypatch, EngineResult("optimal", placement=((0,), (1,)), levels=[F(1)],
                                          bounds=[F(1)], proof="made up"))
    sol = solve(tiny(), 5)
    assert sol.status == "feasible"
    assert sol.levels == [F(2)]
    assert sol.gap() == F(1, 2)
    assert "does not meet its bound" in sol.reason


def test_optimal_claim_with_a_met_bound_is_passed_on(monkeypatch):
    with_engine(monkeypatch, EngineResult("optimal", placement=((1,), (0,)), levels=[F(2)],
                                          bounds=[F(2)], proof="two 3-core services cannot "
                                                              "share a 4-core node"))
    sol = solve(tiny(), 5)
    assert (sol.status, sol.levels, sol.placement) == ("optimal", [F(2)], ((1,), (0,)))
    assert sol.problem.named(sol.placement) == {"x": ["b"], "y": ["a"]}


def test_infeasible_with_a_valid_placement_is_a_contradiction(monkeypatch):
    with_engine(monkeypatch, EngineResult("infeasible", placement=((0,), (1,))))
    sol = solve(tiny(), 5)
    assert sol.status == "unknown" and "infeasible yet returned" in sol.reason


def test_an_engine_crash_is_unknown_never_a_pass(monkeypatch):
    def boom(problem, time_limit, **kw):
        raise RuntimeError("encoder exploded")
    mod = types.ModuleType("formalc.schedule.engine")
    mod.optimise = boom
    monkeypatch.setitem(sys.modules, "formalc.schedule.engine", mod)
    sol = solve(tiny(), 5)
    assert sol.status == "unknown"
    assert "internal error in the optimiser: RuntimeError: encoder exploded" in sol.reason


def test_a_feasible_answer_without_bound_has_no_gap(monkeypatch):
    with_engine(monkeypatch, EngineResult("feasible", placement=((0,), (1,)), levels=[F(2)]))
    sol = solve(tiny(), 5)
    assert sol.status == "feasible" and sol.bounds == [None] and sol.gap() is None


def test_time_limit_must_be_positive():
    with pytest.raises(ValueError):
        solve(tiny(), 0)
