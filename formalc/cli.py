"""The command line: ``formalc check``, ``fmt``, ``explain``, ``graph``, ``audit``, ``lint``,
``solve``, ``conform``, ``extract`` and ``trace``.

Exit codes: 0 every check holds, 1 a check is violated, 2 the spec or the command is wrong,
3 a check stayed unknown. The report goes to stdout, the summary and diagnostics to stderr.
``formalc solve``: 0 every schedule solved to proven optimality (or, without an objective, a
placement found), 1 a schedule is infeasible or a failover/scaling question is violated,
3 a placement without a proof of optimality, or no answer within the limit.
``formalc conform``: 0 no difference found in the generated traces (tested, not proved), 1 a
difference between the spec and the implementation (or between two implementations).
``formalc extract``: 0 every formula of the document parsed, 1 some are partial or unparsed (each
listed with its line and reason), 2 the document cannot be read or the skeleton not written.
``formalc trace``: 0 the matrix was produced (with ``--require-all``: and it has no problem), 1
``--require-all`` and a problem, 2 an unreadable document or spec errors.
"""
from __future__ import annotations

import argparse
import os
import sys

from . import __version__

EXIT_OK, EXIT_VIOLATED, EXIT_ERROR, EXIT_UNKNOWN = 0, 1, 2, 3


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # usage errors exit 2 with a one-line message, no traceback
        self.print_usage(sys.stderr)
        sys.stderr.write(f"formalc: error: {message}\n")
        sys.exit(EXIT_ERROR)


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="formalc", description="Check formal specs of IoT container systems.")
    p.add_argument("--version", action="version", version=f"formalc {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    c = sub.add_parser("check", help="parse, type-check and prove the checks of specs")
    c.add_argument("paths", nargs="+", metavar="PATH", help=".iot files or folders")
    c.add_argument("--timeout", type=float, default=10.0, metavar="SECONDS",
                   help="solver time limit per check (default 10)")
    c.add_argument("-k", "--select", action="append", metavar="NAME",
                   help="run only checks whose name contains NAME (or matches the glob); repeatable")
    c.add_argument("--format", choices=("text", "json"), default="text")
    c.add_argument("-q", "--quiet", action="store_true", help="report only failing checks")
    c.add_argument("--no-color", action="store_true", help="plain text (also: NO_COLOR=1)")
    c.add_argument("--no-cache", action="store_true",
                   help="solve every check, ignoring and not updating the result cache "
                        "(also: FORMALC_NO_CACHE=1)")
    c.add_argument("-j", "--jobs", type=int, default=None, metavar="N",
                   help="check files in N parallel processes (default: one per CPU)")
    c.add_argument("--max-size", type=int, default=16, metavar="MiB",
                   help="refuse spec files larger than this (default 16 MiB)")
    c.add_argument("--engine", choices=("auto", "explicit", "symbolic"), default="auto",
                   help="how machine checks (M ⊨ φ) are decided: explicit state enumeration, "
                        "symbolic (Z3: k-induction, BMC) or auto (default; the cache is used "
                        "with auto only)")
    c.add_argument("--trace-out", metavar="FILE",
                   help="write the trace of the machine check as ITF JSON (Apalache/Quint "
                        "Informal Trace Format); with {check} in FILE, one file per check")

    f = sub.add_parser("fmt", help="print specs in canonical form")
    f.add_argument("paths", nargs="+", metavar="FILE")
    f.add_argument("--check", action="store_true",
                   help="exit 1 if a file is not in canonical form, print nothing")
    f.add_argument("-w", "--write", action="store_true", help="rewrite the files in place")

    e = sub.add_parser("explain", help="describe a diagnostic code")
    e.add_argument("code", metavar="FCnnn")

    g = sub.add_parser("graph", help="draw a state machine's transition table δ")
    g.add_argument("spec", metavar="SPEC", help="an .iot file")
    g.add_argument("--machine", metavar="NAME",
                   help="the machine to draw (default: every machine no composition uses)")
    g.add_argument("--format", choices=("dot", "mermaid", "svg"), default="dot",
                   help="Graphviz dot (default), Mermaid stateDiagram-v2, or SVG (needs "
                        "Graphviz's dot)")
    g.add_argument("--trace", metavar="ITF_FILE",
                   help="highlight the states and transitions an ITF trace visits "
                        "(from formalc check --trace-out)")
    g.add_argument("-o", "--output", metavar="OUT", help="write to OUT instead of stdout")

    a = sub.add_parser("audit", help="evaluate a spec's policies on real configuration files "
                       "(Kubernetes YAML, OCI config.json, seccomp profiles)")
    a.add_argument("files", nargs="+", metavar="FILE", help="files or folders to audit")
    a.add_argument("--against", metavar="SPEC",
                   help="the spec whose predicates are the policies: a file or a bundled spec "
                        "(pss, threats); default: pods against pss, OCI configs against threats")
    a.add_argument("--policy", action="append", metavar="NAME",
                   help="a predicate to evaluate (repeatable); default: the predicates the spec "
                        "marks @policy (else its top-level predicates over the artifact's type)")
    a.add_argument("--format", choices=("text", "json", "sarif"), default="text")
    a.add_argument("--no-fixes", action="store_true", help="do not compute minimal fixes")

    li = sub.add_parser("lint", help="find policies (unary predicates over a tuple type) that "
                        "are contradictory or vacuous")
    li.add_argument("spec", metavar="SPEC", help="an .iot file")
    li.add_argument("--predicate", action="append", metavar="NAME",
                    help="lint only this predicate (repeatable)")
    li.add_argument("--timeout", type=float, default=5.0, metavar="S",
                    help="seconds per solver question (default 5)")

    so = sub.add_parser("solve", help="place services on nodes: optimal placements with a "
                        "proof, or infeasibility explained")
    so.add_argument("spec", metavar="SPEC", help="an .iot file with `schedule` blocks")
    so.add_argument("--schedule", action="append", metavar="NAME",
                    help="the schedule to solve (repeatable; default: every schedule of SPEC)")
    so.add_argument("--time-limit", type=float, default=60.0, metavar="SECONDS",
                    help="wall-clock limit per schedule (default 60)")
    so.add_argument("--failover", type=int, default=None, metavar="K",
                    help="also check that the placement survives every failure of K nodes "
                         "(stranded replicas move, the rest stay)")
    so.add_argument("--format", choices=("text", "json"), default="text")
    so.add_argument("--seed", type=int, default=0, help="random seed of the search (default 0)")

    from .conform.cli import add_parser as add_conform
    add_conform(sub)
    from .extract.cli import add_parser as add_extract
    add_extract(sub)
    from .trace.cli import add_parser as add_trace
    add_trace(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 20000))
    args = _parser().parse_args(argv)
    if args.command is None:
        _parser().print_help(sys.stderr)
        return EXIT_ERROR
    try:
        return {"check": _check, "fmt": _fmt, "explain": _explain,
                "graph": _graph, "audit": _audit, "lint": _lint,
                "solve": _solve, "conform": _conform, "extract": _extract,
                "trace": _trace}[args.command](args)
    except KeyboardInterrupt:
        sys.stderr.write("formalc: interrupted\n")
        return 130
    except BrokenPipeError:
        return EXIT_ERROR


def _audit(args) -> int:
    from .audit.report import render_json, render_sarif, render_text
    from .audit.run import audit_paths
    from .diagnostics import SpecError, render
    try:
        report = audit_paths(args.files, args.against, args.policy, fixes=not args.no_fixes)
    except SpecError as e:
        for d in e.diagnostics:
            sys.stderr.write(render(d, e.sources, color=False) + "\n")
        return EXIT_ERROR
    except Exception as e:  # a bug in formalc: say so, never a traceback and never a pass
        sys.stderr.write(f"formalc: internal error: {type(e).__name__}: {e} (please report it)\n")
        return EXIT_ERROR
    for d in report.diagnostics:
        sys.stderr.write(render(d, report.sources, color=False) + "\n")
    if not report.verdicts and not any(d.is_error for d in report.diagnostics):
        sys.stderr.write("formalc: error: nothing to audit in " + " ".join(args.files)
                         + " (no workload, OCI config or seccomp profile)\n")
        return EXIT_ERROR
    if args.format == "json":
        sys.stdout.write(render_json(report))
    elif args.format == "sarif":
        sys.stdout.write(render_sarif(report, __version__))
    else:
        sys.stdout.write(render_text(report))
    return report.exit_code


def _lint(args) -> int:
    """Exit 1 when a policy is contradictory or vacuous, 3 when one stays undecided."""
    from .api import load
    from .diagnostics import SpecError, render
    from .policy.lint import lint_predicates
    try:
        spec = load(args.spec)
    except SpecError as e:
        for d in e.diagnostics:
            sys.stderr.write(render(d, e.sources, color=False) + "\n")
        return EXIT_ERROR
    results = lint_predicates(spec, args.predicate, args.timeout)
    if args.predicate and not results:
        sys.stderr.write("formalc: error: no predicate " + ", ".join(args.predicate)
                         + " over a tuple type in " + args.spec + "\n")
        return EXIT_ERROR
    marks = {"ok": "✔ ok          ", "contradictory": "✘ contradictory", "vacuous": "✘ vacuous     ",
             "unknown": "? unknown     "}
    for r in results:
        sys.stdout.write(f"{marks[r.status]}  {r.predicate}({r.type_name})  {args.spec}:{r.line}\n")
        if r.reason:
            sys.stdout.write(f"      {r.reason}\n")
    bad = sum(r.status in ("contradictory", "vacuous") for r in results)
    unknown = sum(r.status == "unknown" for r in results)
    sys.stderr.write(f"{len(results)} policies: {len(results) - bad - unknown} ok, {bad} "
                     f"contradictory or vacuous, {unknown} unknown\n")
    return EXIT_VIOLATED if bad else EXIT_UNKNOWN if unknown else EXIT_OK


def _solve(args) -> int:
    from .schedule.cli import solve_command
    return solve_command(args)


def _conform(args) -> int:
    from .conform.cli import conform_command
    return conform_command(args)


def _extract(args) -> int:
    from .extract.cli import extract_command
    return extract_command(args)


def _trace(args) -> int:
    from .trace.cli import trace_command
    return trace_command(args)


def _color(args, stream) -> bool:
    if getattr(args, "no_color", False) or os.environ.get("NO_COLOR"):
        return False
    return stream.isatty()


def _check(args) -> int:
    from .api import check_paths
    if args.timeout <= 0:
        sys.stderr.write("formalc: error: --timeout must be positive\n")
        return EXIT_ERROR
    on_file = None
    if args.format == "text":  # the report streams: each file's lines as soon as it is done
        from .checks.results import Report
        from .report.text import render_text
        color = _color(args, sys.stdout)

        def on_file(path, diags, results):
            sys.stdout.write(render_text(Report(results=list(results)), color=color,
                                         quiet=args.quiet, engine=args.engine))
            sys.stdout.flush()
    report = check_paths(args.paths, timeout=args.timeout, select=args.select,
                         max_size=args.max_size * 1024 * 1024, jobs=args.jobs,
                         cache=not args.no_cache, on_file=on_file, engine=args.engine)
    if args.select and not report.results and not report.errors:
        from .diagnostics import Diagnostic
        report.diagnostics.append(Diagnostic(
            "FC402", "no check matches " + " or ".join(f"`{s}`" for s in args.select),
            hint="-k keeps checks whose name contains the text or matches the glob"))
    if args.format == "json":
        from .report.json_report import render_json
        sys.stdout.write(render_json(report) + "\n")
        if not args.quiet:
            from .report.text import render_summary
            sys.stderr.write(render_summary(report, color=False))
    else:
        from .report.text import render_summary
        sys.stderr.write(render_summary(report, color=_color(args, sys.stderr)))
    if args.trace_out:
        if not _write_traces(report, args.trace_out, args.select, args.engine):
            return EXIT_ERROR
    return report.exit_code


def _write_traces(report, target: str, select, engine: str) -> bool:
    """Write the traces of the machine checks as ITF JSON; notes go to stderr. False when a
    file could not be written."""
    from .report.itf import render_itf
    traced = [r for r in report.results if r.trace is not None]
    if not traced:
        sys.stderr.write(f"formalc: --trace-out: no machine check produced a trace; "
                         f"{target} not written\n")
        return True
    if "{check}" in target:
        chosen = [(r, target.replace("{check}", r.check)) for r in traced]
    else:
        exact = [r for r in traced if select and r.check in select]
        first = (exact or traced)[0]
        chosen = [(first, target)]
        others = [r.check for r in traced if r is not first]
        if others:
            sys.stderr.write(f"note: --trace-out wrote the trace of `{first.check}`; "
                             f"not written: {', '.join(f'`{o}`' for o in others)} (put "
                             "{check} in the file name to write one file per check)\n")
    for r, path in chosen:
        try:
            with open(path, "w", encoding="utf-8") as f:
                f.write(render_itf(r, engine=engine) + "\n")
        except OSError as e:
            sys.stderr.write(f"formalc: error: cannot write {path}: {e.strerror or e}\n")
            return False
        sys.stderr.write(f"trace of `{r.check}` written to {path}\n")
    return True


def _graph(args) -> int:
    from .report.graph import GraphError, graph_command
    try:
        out = graph_command(args.spec, machine=args.machine, fmt=args.format,
                            trace=args.trace)
    except GraphError as e:
        sys.stderr.write(f"formalc graph: {e}\n")
        return EXIT_ERROR
    except (TypeError, AttributeError, KeyError, ValueError) as e:
        # a trace file that is JSON but not the ITF shape formalc writes
        sys.stderr.write(f"formalc graph: cannot use the trace {args.trace}: it is not an ITF "
                         f"trace as `formalc check --trace-out` writes ({type(e).__name__})\n"
                         if args.trace else f"formalc graph: internal error: {type(e).__name__}: {e}\n")
        return EXIT_ERROR
    if args.output:
        try:
            with open(args.output, "w", encoding="utf-8") as f:
                f.write(out)
        except OSError as e:
            sys.stderr.write(f"formalc graph: cannot write {args.output}: {e.strerror or e}\n")
            return EXIT_ERROR
    else:
        sys.stdout.write(out)
    return EXIT_OK


def _fmt(args) -> int:
    from .diagnostics import SpecError
    from .model.loader import Loader
    from .syntax.printer import format_text
    status = EXIT_OK
    for p in args.paths:
        loader = Loader()
        from pathlib import Path
        diags, text = loader.read(Path(p))
        if text is None:
            from .diagnostics import render
            for d in diags:
                sys.stderr.write(render(d, loader.sources) + "\n")
            status = EXIT_ERROR
            continue
        try:
            out = format_text(text, p)
        except SpecError as e:
            sys.stderr.write(e.render() + "\n")
            status = EXIT_ERROR
            continue
        if args.check:
            if out != text:
                sys.stderr.write(f"{p}: not in canonical form\n")
                status = max(status, EXIT_VIOLATED)
        elif args.write:
            if out != text:
                Path(p).write_text(out, encoding="utf-8")
        else:
            sys.stdout.write(out)
    return status


def _explain(args) -> int:
    from .diagnostics import CODES
    code = args.code.upper()
    if code not in CODES:
        sys.stderr.write(f"formalc: error: unknown code {args.code}; codes are "
                         f"{min(CODES)}…{max(CODES)} (see docs/diagnostics.md)\n")
        return EXIT_ERROR
    from .docs_codes import EXPLANATIONS
    sys.stdout.write(f"{code}: {CODES[code]}\n")
    extra = EXPLANATIONS.get(code)
    if extra:
        sys.stdout.write("\n" + extra.strip() + "\n")
    return EXIT_OK


if __name__ == "__main__":
    raise SystemExit(main())
