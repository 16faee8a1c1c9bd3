"""``formalc conform``: check an implementation against a machine of a spec, or two
implementations against each other, or a scheduler against a schedule.

Exit codes: 0 no difference found (tested, not proved), 1 a difference (each reported with its
trace), 2 the command, the spec, the adapter or the runtime is wrong or unavailable, 3 no
verdict: nothing was really compared, an invariant could not be evaluated, or some command
events of the machine were never exercised (``partial``).
"""
from __future__ import annotations

import importlib
import importlib.util
import json
import os
import sys
from pathlib import Path

EXIT_OK, EXIT_VIOLATED, EXIT_ERROR, EXIT_UNKNOWN = 0, 1, 2, 3
RUNTIMES = ("runc", "crun")


class UsageError(Exception):
    pass


def add_parser(sub) -> None:
    c = sub.add_parser("conform", help="test an implementation against a spec's machine "
                       "(Hypothesis), or two implementations against each other")
    c.add_argument("spec", metavar="SPEC", help="an .iot file")
    c.add_argument("--machine", metavar="NAME", help="the machine to check against")
    who = c.add_mutually_exclusive_group()
    who.add_argument("--adapter", metavar="MODULE:FACTORY",
                     help="a Python adapter: FACTORY() returns an object with reset/apply/"
                          "observe/close (MODULE may be a .py path)")
    who.add_argument("--runtime", choices=RUNTIMES, help="a real OCI runtime driven through its "
                     "command line (needs root and busybox-static)")
    c.add_argument("--against", metavar="ADAPTER|RUNTIME",
                   help="differential mode: a second implementation (runc, crun or "
                        "MODULE:FACTORY) run on the same traces")
    c.add_argument("--workload", default="sleep 3600", metavar="CMD",
                   help="the container's process for --runtime (default: sleep 3600)")
    c.add_argument("--examples", type=int, default=100, metavar="N",
                   help="generated traces (default 100)")
    c.add_argument("--steps", type=int, default=20, metavar="N",
                   help="events per generated trace (default 20)")
    c.add_argument("--seed", type=int, default=None, metavar="S",
                   help="Hypothesis seed (default: random, printed)")
    c.add_argument("--first", action="store_true",
                   help="stop at the first difference instead of naming every one")
    c.add_argument("--no-tour", action="store_true",
                   help="skip the tour of every event in every state of the spec")
    c.add_argument("--max-findings", type=int, default=20, metavar="N")
    c.add_argument("--events", metavar="E,…",
                   help="exercise only these command events (the others are not a partial "
                        "verdict then)")
    c.add_argument("--shrink-seconds", type=float, default=60.0, metavar="S",
                   help="time to spend shrinking each finding (default 60)")
    c.add_argument("--scheduler", metavar="MODULE:FUNCTION",
                   help="scheduler conformance: check placements of this function on instances "
                        "drawn from --schedule")
    c.add_argument("--schedule", metavar="NAME", help="the schedule for --scheduler")
    c.add_argument("--time-limit", type=float, default=10.0, metavar="S",
                   help="formalc's solver limit per instance with --scheduler (default 10)")
    c.add_argument("--policy", metavar="NAME",
                   help="security enforcement: run probes of this policy of SPEC in real runc "
                        "and compare each outcome with the verdict Z3 proves (docs/enforcement.md)")
    c.add_argument("--all-probes", action="store_true",
                   help="with --policy: every probe of the catalogue instead of --examples draws")
    c.add_argument("--format", choices=("text", "json"), default="text")
    c.add_argument("--transcripts", metavar="DIR",
                   help="also write each finding's replay transcript to DIR/finding-K.py")


def _import_ref(ref: str):
    """``module:attr`` or ``path/to/file.py:attr`` → the attribute."""
    if ":" not in ref:
        raise UsageError(f"`{ref}` is not MODULE:NAME (e.g. mypkg.adapters:make_adapter)")
    mod, _, attr = ref.rpartition(":")
    try:
        if mod.endswith(".py") or os.sep in mod:
            path = Path(mod)
            if not path.exists():
                raise UsageError(f"no such file: {mod}")
            spec = importlib.util.spec_from_file_location(path.stem, path)
            module = importlib.util.module_from_spec(spec)
            sys.modules.setdefault(path.stem, module)
            spec.loader.exec_module(module)
        else:
            if os.getcwd() not in sys.path:
                sys.path.insert(0, os.getcwd())
            module = importlib.import_module(mod)
    except UsageError:
        raise
    except (Exception, SystemExit) as e:  # noqa: BLE001 - the user's module failed to import
        raise UsageError(f"cannot import `{mod}`: {type(e).__name__}: {e}") from None
    try:
        return getattr(module, attr)
    except AttributeError:
        raise UsageError(f"`{mod}` has no `{attr}`") from None


def _adapter(ref: str, workload: str):
    from .bundle import RuntimeUnavailable
    if ref in RUNTIMES:
        from .runtime import RuntimeAdapter
        if not workload.split():
            raise UsageError("--workload is empty (e.g. --workload 'sleep 3600')")
        try:
            return RuntimeAdapter(ref, workload=tuple(workload.split()))
        except RuntimeUnavailable as e:
            raise UsageError(f"{ref} cannot be used here: {e}") from None
    from .adapter import instantiate
    obj = _import_ref(ref)
    try:
        a = instantiate(obj)
    except (Exception, SystemExit) as e:  # noqa: BLE001
        raise UsageError(f"`{ref}()` failed: {type(e).__name__}: {e}") from None
    missing = [m for m in ("reset", "apply", "observe", "close") if not hasattr(a, m)]
    if missing:
        raise UsageError(f"`{ref}` gave {type(a).__name__}, which lacks "
                         f"{', '.join(missing)} (see docs/conformance.md, the adapter protocol)")
    return a


def conform_command(args) -> int:
    from ..api import load
    from ..diagnostics import SpecError, render
    from .spec_side import ConformError
    try:
        if args.examples < 1 or args.steps < 1 or args.max_findings < 1:
            raise UsageError("--examples, --steps and --max-findings must be at least 1")
        try:
            spec = load(args.spec)
        except SpecError as e:
            for d in e.diagnostics:
                sys.stderr.write(render(d, e.sources, color=False) + "\n")
            return EXIT_ERROR
        except OSError as e:
            raise UsageError(f"cannot read {args.spec}: {e.strerror or e}") from None
        if args.scheduler:
            return _scheduler(args, spec)
        if args.policy:
            return _enforcement(args, spec)
        if not args.machine:
            names = ", ".join(sorted(spec.machines)) or "none"
            raise UsageError(f"--machine is required (machines in {args.spec}: {names})")
        if not (args.adapter or args.runtime):
            raise UsageError("say what to test: --adapter MODULE:FACTORY or --runtime runc")
        report = _run(args, spec)
    except UsageError as e:
        sys.stderr.write(f"formalc conform: {e}\n")
        return EXIT_ERROR
    except ConformError as e:
        hint = f"\n  hint: {e.hint}" if e.hint else ""
        sys.stderr.write(f"formalc conform: error[{e.code}]: {e.message}{hint}\n")
        return EXIT_ERROR
    except Exception as e:  # noqa: BLE001 - an adapter's own failure outside a run
        sys.stderr.write(f"formalc conform: the adapter failed: {type(e).__name__}: {e}\n")
        return EXIT_ERROR
    if args.format == "json":
        sys.stdout.write(json.dumps(report.to_json(), indent=2, ensure_ascii=False) + "\n")
    else:
        sys.stdout.write(report.to_text())
    if args.transcripts and not hasattr(report, "setup"):
        sys.stderr.write("formalc conform: --transcripts applies to conformance findings, not to "
                         "differential divergences (their traces are in the report)\n")
    if args.transcripts and hasattr(report, "setup"):
        from .report import transcript
        out = Path(args.transcripts)
        out.mkdir(parents=True, exist_ok=True)
        for i, f in enumerate(report.findings, 1):
            (out / f"finding-{i}.py").write_text(transcript(report, f))
    sys.stderr.write(f"{report.verdict}: {len(report.findings)} finding(s), seed {report.seed}\n")
    return {"passed": EXIT_OK, "agreed": EXIT_OK, "violated": EXIT_VIOLATED,
            "diverged": EXIT_VIOLATED}.get(report.verdict, EXIT_UNKNOWN)


def _run(args, spec):
    """Build the adapter(s), run, and close them even when building the second one fails."""
    a = _adapter(args.adapter or args.runtime, args.workload)
    events = [e.strip() for e in args.events.split(",") if e.strip()] if args.events else None
    try:
        if args.against:
            from .differential import differential
            b = _adapter(args.against, args.workload)
            return differential(spec, args.machine, a, b, examples=args.examples,
                                steps=args.steps, seed=args.seed,
                                max_findings=args.max_findings, tour=not args.no_tour)
        from .engine import conform
        report = conform(spec, args.machine, a, examples=args.examples, steps=args.steps,
                         seed=args.seed, all_differences=not args.first,
                         max_findings=args.max_findings, tour=not args.no_tour,
                         shrink_seconds=args.shrink_seconds, events=events)
        who = f"--runtime {args.runtime}" if args.runtime else f"--adapter {args.adapter}"
        if args.runtime and args.workload != "sleep 3600":
            who += f" --workload '{args.workload}'"
        report.command = (f"formalc conform {args.spec} --machine {args.machine} {who} "
                          f"--examples {args.examples} --steps {args.steps} --seed "
                          f"{report.seed}" + (f" --events {args.events}" if events else ""))
        return report
    except BaseException:
        try:
            a.close()
        except Exception:  # noqa: BLE001
            pass
        raise


def _scheduler(args, spec) -> int:
    from ..api import schedule_problem
    from .scheduler import check_scheduler, load_scheduler, problems
    if not args.schedule:
        names = ", ".join(sorted(spec.schedules)) or "none"
        raise UsageError(f"--schedule is required with --scheduler (schedules: {names})")
    try:
        base = schedule_problem(spec, args.schedule)
    except (KeyError, ValueError) as e:
        raise UsageError(str(e).strip("'\"")) from None
    if os.getcwd() not in sys.path:   # `--scheduler mymod:place` from the project folder
        sys.path.insert(0, os.getcwd())
    try:
        sched = load_scheduler(args.scheduler)
    except (Exception, SystemExit) as e:  # noqa: BLE001 - the user's module failed
        raise UsageError(f"cannot load the scheduler `{args.scheduler}`: {e}") from None
    report = check_scheduler(sched, problems(base), explicit=[base], examples=args.examples,
                             time_limit=args.time_limit, seed=args.seed or 0)
    if args.format == "json":
        sys.stdout.write(json.dumps(report.to_json(), indent=2, ensure_ascii=False) + "\n")
    else:
        text = report.to_text()
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
    return report.exit_code


def _enforcement(args, spec) -> int:
    from .bundle import RuntimeUnavailable
    from .enforce import PolicyError, SpecFacts, SpecShapeError, all_probes, check_enforcement
    try:
        facts = SpecFacts.of(spec)
        probes = all_probes(facts, facts.policy(args.policy)) if args.all_probes else None
        report = check_enforcement(facts, args.policy, probes, examples=args.examples,
                                   seed=args.seed or 0, runtime=args.runtime or "runc")
    except RuntimeUnavailable as e:
        raise UsageError(f"{args.runtime or 'runc'} cannot be used here: {e}") from None
    except (PolicyError, SpecShapeError, KeyError) as e:
        raise UsageError(str(e).strip("'\"")) from None
    if args.format == "json":
        sys.stdout.write(json.dumps(report.to_json(), indent=2, ensure_ascii=False) + "\n")
    else:
        text = report.to_text()
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
    return report.exit_code
