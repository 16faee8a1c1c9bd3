"""``formalc trace DOC SPEC_OR_DIR...``: the traceability matrix of a document against specs.

Exit codes: 0 the matrix was produced (with ``--require-all``: and it has no problem), 1
``--require-all`` and a problem (a definition unformalised, inconsistent, unchecked or not
proved), 2 unreadable input: the document cannot be read, a spec file is missing or has errors
(its diagnostics are printed), or a bad option. The matrix goes to stdout, the summary and
diagnostics to stderr.
"""
from __future__ import annotations

import os
import sys

EXIT_OK, EXIT_PROBLEMS, EXIT_ERROR = 0, 1, 2


def add_parser(sub) -> None:
    """Add the ``trace`` sub-command to ``sub`` (the sub-parsers of ``formalc``)."""
    t = sub.add_parser("trace", help="trace a document's definitions to the spec declarations "
                       "that formalise them and the checks that cover them")
    t.add_argument("document", metavar="DOC", help="the analysis (Markdown with LaTeX)")
    t.add_argument("specs", nargs="+", metavar="SPEC_OR_DIR", help=".iot files or folders")
    t.add_argument("--format", choices=("text", "json", "markdown"), default="text")
    t.add_argument("--require-all", action="store_true",
                   help="exit 1 on any problem: every definition formalised, consistent with "
                        "the document, and covered by checks that all hold (for CI)")
    t.add_argument("--no-check", action="store_true",
                   help="do not run the checks: take their verdicts from the result cache "
                        "(a check it does not hold is reported not-run)")
    t.add_argument("--no-cache", action="store_true",
                   help="solve every check, ignoring and not updating the result cache")
    t.add_argument("--timeout", type=float, default=10.0, metavar="SECONDS",
                   help="solver time limit per check (default 10)")
    t.add_argument("-j", "--jobs", type=int, default=None, metavar="N",
                   help="check files in N parallel processes (default: one per CPU)")
    t.add_argument("-o", "--output", metavar="FILE", help="write the matrix to FILE")
    t.add_argument("--no-color", action="store_true", help="plain text (also: NO_COLOR=1)")


def _color(args, stream) -> bool:
    if args.no_color or os.environ.get("NO_COLOR") or args.output:
        return False
    return stream.isatty()


def trace_command(args) -> int:
    """Run ``formalc trace`` with parsed ``args``; returns the exit code."""
    from ..diagnostics import render
    from . import TraceError, trace
    from .render import FORMATS, TextFormat, summary
    if args.timeout <= 0:
        sys.stderr.write("formalc: error: --timeout must be positive\n")
        return EXIT_ERROR
    if args.no_check and args.no_cache:
        sys.stderr.write("formalc: error: --no-check takes the verdicts from the cache: it "
                         "cannot be combined with --no-cache\n")
        return EXIT_ERROR
    try:
        report = trace(args.document, args.specs, check=not args.no_check,
                       cache=not args.no_cache, timeout=args.timeout, jobs=args.jobs)
    except TraceError as e:
        sys.stderr.write(f"formalc: error: {e}\n")
        return EXIT_ERROR
    except Exception as e:  # noqa: BLE001 - a bug in formalc: say so, never a traceback
        sys.stderr.write(f"formalc: internal error: {type(e).__name__}: {e} (please report it)\n")
        return EXIT_ERROR
    for d in report.diagnostics:
        sys.stderr.write(render(d, report.sources, color=False) + "\n")
    code = report.exit_code(args.require_all)
    if code == EXIT_ERROR:
        sys.stderr.write("formalc: error: the specs cannot be traced until they load without "
                         "errors\n")
        return code
    out = sys.stdout
    if args.format == "text":
        width = None
        if out.isatty() and not args.output:
            import shutil
            width = shutil.get_terminal_size().columns
        text = TextFormat(color=_color(args, out), width=width).render(report)
    else:
        text = FORMATS[args.format]().render(report)
    if args.output:
        try:
            with open(args.output, "w", encoding="utf-8") as fh:
                fh.write(text)
        except OSError as e:
            sys.stderr.write(f"formalc: error: cannot write {args.output}: {e.strerror}\n")
            return EXIT_ERROR
    else:
        out.write(text)
    sys.stderr.write(summary(report))
    return code
