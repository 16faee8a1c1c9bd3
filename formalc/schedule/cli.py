"""``formalc solve``: lower a spec's schedules, solve them, report, exit with a verdict code."""
from __future__ import annotations

import sys

EXIT_OK, EXIT_VIOLATED, EXIT_ERROR, EXIT_UNKNOWN = 0, 1, 2, 3


def _err(msg: str) -> int:
    sys.stderr.write(f"formalc solve: {msg}\n")
    return EXIT_ERROR


def solve_command(args) -> int:
    from ..api import load
    from ..diagnostics import SpecError, render, suggest
    from ..report.schedule import render_json, solution_json, solution_lines
    from .lower import lower
    from .result import FEASIBLE, INFEASIBLE, OPTIMAL
    from .solve import solve

    if args.time_limit <= 0:
        return _err("--time-limit must be positive")
    if args.failover is not None and args.failover < 1:
        return _err("--failover needs K ≥ 1 (the number of nodes that fail together)")
    try:
        spec = load(args.spec)
    except SpecError as e:
        for d in e.diagnostics:
            sys.stderr.write(render(d, e.sources, color=False) + "\n")
        return EXIT_ERROR
    except OSError as e:
        return _err(f"cannot read {args.spec}: {e.strerror or e}")
    own = [n for n, sch in spec.schedules.items() if _file_of(sch) in (None, spec.file)]
    names = args.schedule or own
    if not names:
        return _err(f"{args.spec} has no `schedule` block (see docs/scheduling.md)")
    for n in names:
        if n not in spec.schedules:
            hint = suggest(n, list(spec.schedules))
            return _err(f"no schedule `{n}` in {args.spec}" + (f"; {hint}" if hint else ""))
    codes, docs = [], []
    for name in names:
        problem, diags = lower(spec, name)
        for d in diags:
            sys.stderr.write(render(d, spec.sources, color=False) + "\n")
        if problem is None:
            codes.append(EXIT_ERROR)
            continue
        sol = solve(problem, args.time_limit, seed=args.seed)
        code = {OPTIMAL: EXIT_OK, INFEASIBLE: EXIT_VIOLATED}.get(sol.status, EXIT_UNKNOWN)
        if sol.status == FEASIBLE and not problem.objective:
            code = EXIT_OK          # a feasibility question: any placement answers it
        doc = solution_json(sol)
        lines = solution_lines(sol)
        if args.failover is not None and sol.placement is not None:
            from ..report.schedule import failover_json, failover_lines
            from .verify import failover
            rep = failover(problem, args.failover, placement=sol.placement, mode="stranded",
                           time_limit=max(5.0, args.time_limit))
            lines += [""] + failover_lines(problem, rep)
            doc["failover"] = failover_json(rep)
            code = _worst([code, {"proved": EXIT_OK, "violated": EXIT_VIOLATED}.get(
                rep.verdict, EXIT_UNKNOWN)])
        codes.append(code)
        docs.append(doc)
        if args.format == "text":
            sys.stdout.write("\n".join(lines) + "\n\n")
    if args.format == "json":
        sys.stdout.write(render_json(docs))
    return _worst(codes) if codes else EXIT_ERROR


_RANK = {EXIT_OK: 0, EXIT_UNKNOWN: 1, EXIT_VIOLATED: 2, EXIT_ERROR: 3}


def _worst(codes) -> int:
    """The exit code of several answers, as `formalc check` ranks them: an error, else a
    violation, else an unknown, else 0."""
    return max(codes, key=_RANK.__getitem__)


def _file_of(sch):
    span = getattr(sch, "span", None)
    return getattr(span, "file", None)
