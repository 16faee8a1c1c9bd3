"""The scheduling benchmark's instance generators and baselines (benchmarks/sched_gen.py,
benchmarks/bench_schedule.py): fast, no solver runs."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "benchmarks"
if str(BENCH) not in sys.path:
    sys.path.insert(0, str(BENCH))

import sched_gen as G  # noqa: E402
import bench_schedule as B  # noqa: E402

SMALL = [(10, 4), (30, 10), (60, 20), (120, 40)]


@pytest.mark.parametrize("size", SMALL + [(250, 60)])
def test_triplet_planted_nodes_filled_exactly(size):
    inst = G.triplet_instance(*size, seed=3)
    k = inst["known_optimum"]
    assert k == size[0] // 3 and len(inst["services"]) == 3 * k
    assert len(inst["nodes"]) >= k
    per_node: dict[int, list[dict]] = {}
    for s, where in zip(inst["services"], inst["planted"]):
        assert len(where) == 1 and all(x > 0 for x in s["demand"])
        per_node.setdefault(where[0], []).append(s)
    assert sorted(per_node) == list(range(k))
    for items in per_node.values():
        assert len(items) == 3
        assert [sum(s["demand"][d] for s in items) for d in range(4)] == G.TRIPLET_CAP


@pytest.mark.parametrize("size", SMALL)
def test_triplet_volume_bound_is_k_star(size):
    inst = G.triplet_instance(*size, seed=5)
    assert G.volume_lower_bound(inst) == inst["known_optimum"]
    ev = G.evaluate(inst, inst["planted"])
    assert ev["valid"] and ev["nodes_used"] == inst["known_optimum"]


@pytest.mark.parametrize("family", ["triplet", "edge"])
def test_deterministic_by_seed_and_json_round_trip(family, tmp_path):
    a = G.make_instance(family, 30, 10, seed=7)
    b = G.make_instance(family, 30, 10, seed=7)
    c = G.make_instance(family, 30, 10, seed=8)
    assert a == b
    assert a != c
    G.dump(a, tmp_path / "i.json")
    assert G.load(tmp_path / "i.json") == a


@pytest.mark.parametrize("size", SMALL)
def test_edge_instance_shape(size):
    inst = G.edge_instance(*size, seed=2)
    S = size[0]
    two = sum(1 for s in inst["services"] if s["replicas"] == 2)
    assert 0.2 * S - 1 <= two <= 0.3 * S + 1
    assert {n["type"] for n in inst["nodes"]} >= {"micro-dc", "edge-server"}
    assert all(s["sec_min"] <= s["sec_want"] <= G.SEC_MAX for s in inst["services"])
    ev = G.evaluate(inst, inst["planted"])
    assert ev["valid"], ev["errors"]
    assert G.edge_lower_bound(inst) <= ev["cost"] + 1e-9


def _check_rules(inst, placement):
    nodes = inst["nodes"]
    used = [[0] * 4 for _ in nodes]
    for s, where in zip(inst["services"], placement):
        assert len(where) == s["replicas"]
        assert len(set(where)) == len(where), f"{s['name']} replicas share a node"
        for j in where:
            assert nodes[j]["security"] >= s["sec_min"]
            for d in range(4):
                used[j][d] += s["demand"][d]
    for j, n in enumerate(nodes):
        assert all(used[j][d] <= n["cap"][d] for d in range(4)), n["name"]


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
@pytest.mark.parametrize("size", SMALL)
def test_greedy_respects_replicas_security_capacity(size, seed):
    for family in ("edge", "triplet"):
        inst = G.make_instance(family, *size, seed=seed)
        placement, note = B.greedy(inst)
        if placement is None:  # the greedy may leave a pod pending; never a bad placement
            assert "unschedulable" in note
            continue
        _check_rules(inst, placement)
        assert G.evaluate(inst, placement)["valid"]


def test_evaluate_rejects_violations():
    inst = G.edge_instance(10, 4, seed=1)
    p = [list(w) for w in inst["planted"]]
    i = next(k for k, s in enumerate(inst["services"]) if s["replicas"] == 2)
    p[i] = [p[i][0], p[i][0]]
    assert not G.evaluate(inst, p)["valid"]
    tri = G.triplet_instance(30, 10, seed=1)
    crowded = [[0] for _ in tri["services"]]
    assert not G.evaluate(tri, crowded)["valid"]
