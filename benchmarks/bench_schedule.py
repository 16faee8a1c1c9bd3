"""Placement as optimisation (issue 5): formalc against the baselines, one table.

Families and the cost are defined in ``sched_gen.py`` (triplet: node count, optimum K* known
by construction; edge: cost 4·L + 4·R·U + 2·Sh). For every instance and method the table
prints: solve and wall time, the objective (re-checked by ``sched_gen.evaluate``), the
reference (K*, or the best proven lower bound), the gap to it, whether the method proved
optimality, the time to its first feasible placement, peak RSS, and notes (formalc: its
status and its own proven bound). Methods:

  formalc  ``formalc.schedule.engine.optimise`` on ``sched_gen.to_problem(instance)`` (the
           same constraints and objective; see that function), seed 0, the whole time
           limit. Its own proven lower bound is printed in the note, and on edge instances
           it enters the reference (it is a proof: Lagrangian duality, exact arithmetic).

  greedy   Kubernetes-like: replicas in instance order; filter nodes (fits the remaining
           capacity in all 4 dimensions, security ≥ sec_min, no replica of the same service
           there), score 0.4·latency + 0.4·LeastAllocated + 0.2·security (each 0–100:
           latency 100·(1 − lat/LMAX), LeastAllocated the mean over dimensions of
           (cap − requested incl. this pod)·100/cap, security 100·sec/5); best score wins, ties
           to the lowest node index (Kubernetes breaks ties at random). A replica that passes
           no filter fails the run (as the scheduler would leave the pod Pending).
  ffd      (triplets only, extra) first-fit decreasing by the largest normalised demand — the
           classic bin-packing baseline, which the LeastAllocated greedy is not.
  z3       plain Z3 Optimize, straightforward encoding: Bool x[s,r,n] for every replica and
           node (forbidden pairs asserted false, not removed), exactly one node per replica,
           replicas on distinct nodes, capacity Σ If(x, demand, 0) ≤ cap per node and dimension;
           triplets: used[n] = ∨ x[·,n], minimise Σ used; edge: real U with cap·U ≥ load,
           minimise the cost. Timeout = --time-limit; on timeout the best model Z3 holds (if
           any) is reported, never as proven.
  cpsat    OR-Tools CP-SAT (2 workers), the same encoding, if ``ortools`` is importable;
           otherwise the row says "not installed".

Every run is a fresh subprocess (python + imports included in "wall s"; "solve s" is the
method alone) with a hard kill at time limit + 30 s; peak RSS is that process's own
(``os.wait4``). Every returned placement is re-checked by ``sched_gen.evaluate`` and the
objective recomputed from the placement — a solver's own objective value is never trusted.
"proven" is yes only if the solver proved optimality and finished within the limit.
Reference for gaps: triplets K*; edge the best lower bound known = max(``edge_lower_bound``,
formalc's proven bound, the objective of any proven-optimal run). With ``--repeats n`` every
method runs n times (fresh processes) and the row shows medians. The machine has 2 cores and
is noisy: compare methods within one run.

    python benchmarks/bench_schedule.py --time-limit 60 --repeats 3      # the full table
    python benchmarks/bench_schedule.py --sizes 10x4 30x10 60x20 --time-limit 20
    python benchmarks/bench_schedule.py --family triplet --methods greedy ffd --sizes 120x40
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import machine, table  # noqa: E402
import sched_gen as G  # noqa: E402

ND = len(G.DIMS)
ALL_METHODS = ["greedy", "ffd", "z3", "cpsat", "formalc"]


# --------------------------------------------------------------------------- greedy
def greedy(inst: dict):
    """Kubernetes-like filter-and-score placement. Returns (placement or None, note)."""
    nodes, svcs = inst["nodes"], inst["services"]
    lm = G.lmax(inst)
    used = [[0] * ND for _ in nodes]
    placement: list[list[int]] = []
    for s in svcs:
        where: list[int] = []
        for _ in range(s["replicas"]):
            best, best_score = None, None
            for j, n in enumerate(nodes):
                if n["security"] < s["sec_min"] or j in where:
                    continue
                if any(used[j][d] + s["demand"][d] > n["cap"][d] for d in range(ND)):
                    continue
                lat = 100.0 * (1 - n["latency_ms"] / lm) if lm else 100.0
                least = sum((n["cap"][d] - used[j][d] - s["demand"][d]) * 100.0 / n["cap"][d]
                            for d in range(ND)) / ND
                sec = 100.0 * n["security"] / G.SEC_MAX
                score = 0.4 * lat + 0.4 * least + 0.2 * sec
                if best_score is None or score > best_score:
                    best, best_score = j, score
            if best is None:
                return None, f"{s['name']} unschedulable"
            where.append(best)
            for d in range(ND):
                used[best][d] += s["demand"][d]
        placement.append(where)
    return placement, ""


def ffd(inst: dict):
    """First-fit decreasing (node count), honouring security and distinct replicas."""
    nodes, svcs = inst["nodes"], inst["services"]
    used = [[0] * ND for _ in nodes]
    placement: list[list[int]] = [[] for _ in svcs]
    cap0 = nodes[0]["cap"]
    order = sorted(range(len(svcs)), key=lambda i: -max(svcs[i]["demand"][d] / cap0[d]
                                                      for d in range(ND)))
    for i in order:
        s = svcs[i]
        for _ in range(s["replicas"]):
            for j, n in enumerate(nodes):
                if (n["security"] >= s["sec_min"] and j not in placement[i]
                        and all(used[j][d] + s["demand"][d] <= n["cap"][d] for d in range(ND))):
                    placement[i].append(j)
                    for d in range(ND):
                        used[j][d] += s["demand"][d]
                    break
            else:
                return None, f"{s['name']} does not fit"
    return placement, ""


# --------------------------------------------------------------------------- z3
def z3_plain(inst: dict, time_limit: float):
    import z3
    from fractions import Fraction
    nodes, svcs = inst["nodes"], inst["services"]
    opt = z3.Optimize()
    opt.set(timeout=int(time_limit * 1000))
    x = [[[z3.Bool(f"x_{i}_{r}_{j}") for j in range(len(nodes))] for r in range(s["replicas"])]
         for i, s in enumerate(svcs)]
    for i, s in enumerate(svcs):
        for r in range(s["replicas"]):
            opt.add(z3.Sum([z3.If(v, 1, 0) for v in x[i][r]]) == 1)
            for j, n in enumerate(nodes):
                if n["security"] < s["sec_min"]:
                    opt.add(z3.Not(x[i][r][j]))
        if s["replicas"] > 1:
            for j in range(len(nodes)):
                opt.add(z3.Sum([z3.If(x[i][r][j], 1, 0) for r in range(s["replicas"])]) <= 1)
    loads = {}
    for j, n in enumerate(nodes):
        for d in range(ND):
            load = z3.Sum([z3.If(x[i][r][j], s["demand"][d], 0)
                           for i, s in enumerate(svcs) for r in range(s["replicas"])])
            loads[j, d] = load
            opt.add(load <= n["cap"][d])
    if inst["family"] == "triplet":
        used = [z3.Bool(f"used_{j}") for j in range(len(nodes))]
        for j in range(len(nodes)):
            opt.add(used[j] == z3.Or([x[i][0][j] for i in range(len(svcs))]))
        h = opt.minimize(z3.Sum([z3.If(u, 1, 0) for u in used]))
    else:
        def q(f: Fraction):
            return z3.Q(f.numerator, f.denominator)
        U = z3.Real("U")
        for (j, d), load in loads.items():
            opt.add(nodes[j]["cap"][d] * U >= load)
        terms = []
        for i, s in enumerate(svcs):
            for j, n in enumerate(nodes):
                lat, short = G.placement_cost_terms(inst, s, n)
                c = G.W_LAT * lat + G.W_SEC * short
                if c:
                    terms += [z3.If(x[i][r][j], q(c), 0) for r in range(s["replicas"])]
        h = opt.minimize(z3.Sum(terms) + G.W_UTIL * G.placements_count(inst) * U)
    res = opt.check()
    proven = res == z3.sat
    try:
        m = opt.model() if res != z3.unsat else None
    except z3.Z3Exception:
        m = None
    note = "" if proven else f"z3 {res}" + ("" if res != z3.unknown
                                             else f" ({opt.reason_unknown()})")
    if m is None:
        return None, proven, note + ("; no model" if not proven else "")
    placement = []
    for i, s in enumerate(svcs):
        where = []
        for r in range(s["replicas"]):
            js = [j for j in range(len(nodes))
                  if z3.is_true(m.eval(x[i][r][j], model_completion=True))]
            where.append(js[0] if len(js) == 1 else -1)
        placement.append(where)
    del h
    return placement, proven, note


# --------------------------------------------------------------------------- cp-sat
def cpsat_plain(inst: dict, time_limit: float):
    from ortools.sat.python import cp_model  # type: ignore
    nodes, svcs = inst["nodes"], inst["services"]
    m = cp_model.CpModel()
    x = [[[m.NewBoolVar(f"x_{i}_{r}_{j}") for j in range(len(nodes))]
          for r in range(s["replicas"])] for i, s in enumerate(svcs)]
    for i, s in enumerate(svcs):
        for r in range(s["replicas"]):
            m.AddExactlyOne(x[i][r])
            for j, n in enumerate(nodes):
                if n["security"] < s["sec_min"]:
                    m.Add(x[i][r][j] == 0)
        for j in range(len(nodes)):
            m.Add(sum(x[i][r][j] for r in range(s["replicas"])) <= 1)
    loads = {}
    for j, n in enumerate(nodes):
        for d in range(ND):
            loads[j, d] = sum(s["demand"][d] * x[i][r][j] for i, s in enumerate(svcs)
                              for r in range(s["replicas"]))
            m.Add(loads[j, d] <= n["cap"][d])
    if inst["family"] == "triplet":
        used = [m.NewBoolVar(f"u{j}") for j in range(len(nodes))]
        for j in range(len(nodes)):
            for i in range(len(svcs)):
                m.AddImplication(x[i][0][j], used[j])
        m.Minimize(sum(used))
    else:  # integer-scaled cost: U in 1/1000, terms scaled by the lcm-free factor 1000·LMAX·4
        SCALE = 1000
        lm = G.lmax(inst) or 1
        U = m.NewIntVar(0, SCALE, "U")
        for (j, d), load in loads.items():
            m.Add(nodes[j]["cap"][d] * U >= SCALE * load)
        lin = []
        for i, s in enumerate(svcs):
            for j, n in enumerate(nodes):
                c = (G.W_LAT * n["latency_ms"] * G.SHORT_NORM
                     + G.W_SEC * max(0, s["sec_want"] - n["security"]) * lm)
                lin += [c * SCALE * x[i][r][j] for r in range(s["replicas"])]
        m.Minimize(sum(lin) + G.W_UTIL * G.placements_count(inst) * U * lm * G.SHORT_NORM)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = time_limit
    solver.parameters.num_workers = 2
    st = solver.Solve(m)
    if st not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None, False, f"cp-sat {solver.StatusName(st)}"
    placement = [[next(j for j in range(len(nodes)) if solver.Value(x[i][r][j]))
                  for r in range(s["replicas"])] for i, s in enumerate(svcs)]
    # edge: U is rounded up to 1/1000, so "optimal" is only up to that rounding
    note = "" if inst["family"] == "triplet" else "U in 1/1000 steps"
    return placement, st == cp_model.OPTIMAL, note


# --------------------------------------------------------------------------- formalc
def formalc_run(inst: dict, time_limit: float):
    """formalc's engine on the instance; (placement, proven, note, extra)."""
    from formalc.schedule.engine import optimise
    problem = G.to_problem(inst)
    res = optimise(problem, time_limit, seed=0)
    placement = [list(w) for w in res.placement] if res.placement is not None else None
    bound = res.bounds[0] if res.bounds and res.bounds[0] is not None else None
    extra = {"bound": None if bound is None else float(bound),
             "first_s": res.first_feasible_s, "status": res.status}
    note = res.status if res.status != "optimal" else ""
    if res.reason and res.status != "feasible":
        note += f" ({res.reason})"
    return placement, res.status == "optimal", note, extra


# --------------------------------------------------------------------------- worker
def worker(method: str, path: str, time_limit: float) -> None:
    import resource
    inst = G.load(path)
    t0 = time.perf_counter()
    proven = False
    if method == "greedy":
        placement, note = greedy(inst)
    elif method == "ffd":
        placement, note = ffd(inst)
    elif method == "z3":
        placement, proven, note = z3_plain(inst, time_limit)
    elif method == "cpsat":
        placement, proven, note = cpsat_plain(inst, time_limit)
    elif method == "formalc":
        placement, proven, note, extra = formalc_run(inst, time_limit)
    else:
        raise SystemExit(f"unknown method {method}")
    solve = time.perf_counter() - t0
    if method in ("greedy", "ffd"):
        extra = {"first_s": solve if placement is not None else None}
    elif method != "formalc":
        extra = {}
    print(json.dumps({"placement": placement, "proven": bool(proven), "note": note,
                      "solve_s": solve, **extra,
                      "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


def run_one(method: str, path: Path, time_limit: float) -> dict:
    """One fresh process, hard-killed at time_limit + 30 s. Peak RSS via wait4."""
    hard = time_limit + 30
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        p = subprocess.Popen([sys.executable, __file__, "--worker", method, str(path),
                              "--time-limit", str(time_limit)], stdout=out, stderr=err)
        killed = False
        while True:
            pid, status, ru = os.wait4(p.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() - t0 > hard:
                p.kill()
                killed = True
                pid, status, ru = os.wait4(p.pid, 0)
                break
            time.sleep(0.02)
        wall = time.perf_counter() - t0
        p.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        text, etext = out.read().decode(), err.read().decode()
    res = {"wall_s": wall, "rss_mb": ru.ru_maxrss / 1024, "killed": killed, "proven": False,
           "placement": None, "solve_s": None, "note": ""}
    if killed:
        res["note"] = f"killed after {hard:.0f} s"
        return res
    try:
        res.update(json.loads(text.strip().splitlines()[-1]))
        res["rss_mb"] = max(res["rss_mb"], ru.ru_maxrss / 1024)
    except (ValueError, IndexError):
        res["note"] = f"crashed rc={p.returncode}: " + (etext.strip().splitlines() or [""])[-1]
    if res["solve_s"] is not None and res["solve_s"] > time_limit + 1 and res["proven"]:
        res["proven"] = False  # over the limit: never reported as proven
        res["note"] += " over time limit"
    return res


def cpsat_available() -> bool:
    try:
        import ortools.sat.python.cp_model  # type: ignore # noqa: F401
        return True
    except ImportError:
        return False


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--sizes", nargs="+", default=["10x4", "30x10", "60x20", "120x40", "250x60"])
    p.add_argument("--time-limit", type=float, default=60.0)
    p.add_argument("--repeats", "--runs", dest="runs", type=int, default=1,
                   help="runs per method and instance (medians are shown)")
    p.add_argument("--family", choices=["triplet", "edge", "both"], default="both")
    p.add_argument("--methods", nargs="+", choices=ALL_METHODS, default=ALL_METHODS)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--worker", nargs=2, metavar=("METHOD", "INSTANCE"), help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker:
        worker(args.worker[0], args.worker[1], args.time_limit)
        return 0
    families = ["triplet", "edge"] if args.family == "both" else [args.family]
    have_cpsat = cpsat_available()
    print(machine())
    print(f"time limit {args.time_limit:g} s per run, hard kill at +30 s, runs {args.runs} "
          f"(median time), seed {args.seed}")
    rows = []
    notes = []
    with tempfile.TemporaryDirectory() as tmp:
        for fam in families:
            for size in args.sizes:
                S, N = G.parse_size(size)
                inst = G.make_instance(fam, S, N, args.seed)
                path = Path(tmp) / f"{inst['name']}.json"
                G.dump(inst, path)
                label = f"{inst['name'].rsplit('-s', 1)[0]} ({len(inst['services'])}/" \
                        f"{G.placements_count(inst)}r on {len(inst['nodes'])})"
                results = []
                for m in args.methods:
                    if m == "ffd" and fam != "triplet":
                        continue
                    if m == "cpsat" and not have_cpsat:
                        results.append((m, None))
                        continue
                    runs = [run_one(m, path, args.time_limit) for _ in range(args.runs)]
                    results.append((m, runs))
                # the reference: K*, or the best lower bound known (proven ones only)
                if fam == "triplet":
                    ref = inst["known_optimum"]
                else:
                    ref = G.edge_lower_bound(inst)
                    for m, runs in results:
                        for r in runs or []:
                            if r.get("bound") is not None:
                                ref = max(ref, r["bound"])
                evals = {}
                for m, runs in results:
                    for k, r in enumerate(runs or []):
                        ev = G.evaluate(inst, r["placement"]) if r["placement"] else None
                        evals[m, k] = ev
                        if ev and ev["valid"] and r["proven"] and fam == "edge":
                            ref = max(ref, ev["cost"])
                for m, runs in results:
                    if runs is None:
                        rows.append([label, m, "-", "-", "-", "-", "-", "-", "-", "-",
                                     "not installed"])
                        continue
                    objs, ok, prov, bad = [], True, True, []
                    for k, r in enumerate(runs):
                        ev = evals[m, k]
                        if ev is None:
                            ok = False
                        elif not ev["valid"]:
                            ok = False
                            bad.append("INVALID: " + ev["errors"][0])
                        else:
                            objs.append(ev["nodes_used"] if fam == "triplet" else ev["cost"])
                        prov = prov and r["proven"] and ev is not None and ev["valid"]
                    solve = [r["solve_s"] for r in runs if r["solve_s"] is not None]
                    obj = statistics.median(objs) if objs else None
                    gap = f"{100 * (obj - ref) / ref:+.1f}%" if obj is not None and ref else "-"
                    note = "; ".join(sorted({r["note"] for r in runs if r["note"]} | set(bad)))
                    if objs and not ok:
                        note = (note + "; " if note else "") + f"{len(objs)}/{len(runs)} ok"
                    bnds = [r["bound"] for r in runs if r.get("bound") is not None]
                    if m == "formalc" and bnds:
                        b = statistics.median(bnds)
                        own = (f"own bound {b:g}" if fam == "triplet" else
                               f"own bound {b:.2f}")
                        if obj:
                            own += f" (gap {100 * (obj - b) / obj:.1f}%)"
                        note = (note + "; " if note else "") + own
                    firsts = [r["first_s"] for r in runs if r.get("first_s") is not None]
                    first = f"{statistics.median(firsts):.3f}" if firsts else "-"
                    rows.append([
                        label, m,
                        f"{statistics.median(solve):.2f}" if solve else "-",
                        f"{statistics.median(r['wall_s'] for r in runs):.2f}",
                        "-" if obj is None else (f"{obj:g}" if fam == "triplet" else f"{obj:.2f}"),
                        f"{ref}" if fam == "triplet" else f"{ref:.2f}",
                        gap, "yes" if prov else "no", first,
                        f"{max(r['rss_mb'] for r in runs):.0f}", note])
                print(f"  done {inst['name']}", file=sys.stderr, flush=True)
    print(table(["instance (services/replicas on nodes)", "method", "solve s", "wall s",
                 "objective", "ref", "gap", "proven", "first s", "RSS MB", "note"], rows))
    print("objective: nodes used (triplet) / cost 4·L + 4·R·U + 2·Sh (edge); ref: K* (triplet) "
          "/ best proven lower bound (edge: max of sched_gen.edge_lower_bound, formalc's "
          "proven bound and any proven optimum); gap = (objective − ref) / ref; first s: "
          "time to the first feasible placement (greedy/ffd: their solve time; '-' where the "
          "solver does not report it)")
    if not have_cpsat and "cpsat" in args.methods:
        print("cpsat: ortools is not importable here — skipped")
    for n in notes:
        print(n)
    return 0


if __name__ == "__main__":
    sys.exit(main())
