"""``formalc extract DOC [-o FILE] [--format text|json]``.

The report (a table, or JSON) goes to stdout, the one-line summary to stderr; ``-o FILE``
writes the ``.iot`` skeleton (``-o -``: the skeleton to stdout, the report to stderr). Exit
codes: 0 every formula parsed, 1 some formula is partial or unparsed (or a ``$$`` is never
closed), 2 the document cannot be read (or the skeleton written).
"""
from __future__ import annotations

import sys
from pathlib import Path

EXIT_OK, EXIT_INCOMPLETE, EXIT_ERROR = 0, 1, 2
#: Documents larger than this are refused (the scanner is linear, but be reasonable).
MAX_SIZE = 64 * 1024 * 1024


def add_parser(sub) -> None:
    """Register ``extract`` on the ``formalc`` sub-command parser ``sub``."""
    p = sub.add_parser("extract", help="find a document's definitions and LaTeX formulas, "
                       "and write them as a .iot skeleton")
    p.add_argument("doc", metavar="DOC", help="a Markdown document with LaTeX ($$…$$)")
    p.add_argument("-o", "--output", metavar="FILE",
                   help="write the .iot skeleton to FILE ('-' for stdout)")
    p.add_argument("--format", choices=("text", "json"), default="text",
                   help="the report: a table per definition (text) or JSON")


def _read(path: str) -> tuple[str | None, str | None]:
    p = Path(path)
    try:
        if p.is_dir():
            return None, f"{path} is a directory"
        if p.stat().st_size > MAX_SIZE:
            return None, f"{path} is larger than {MAX_SIZE // (1024 * 1024)} MiB"
        data = p.read_bytes()
    except OSError as e:
        return None, f"cannot read {path}: {e.strerror or e}"
    if b"\0" in data[:8192]:
        return None, f"{path} is not a text document (it contains NUL bytes)"
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError as e:
        return None, f"{path} is not UTF-8 (byte {e.start}); convert it first"


def extract_command(args) -> int:
    """Run ``formalc extract`` with parsed ``args`` (``doc``, ``output``, ``format``)."""
    from . import extract
    from .report import RENDERERS, TextReport
    from .skeleton import skeleton_text

    text, err = _read(args.doc)
    if text is None:
        sys.stderr.write(f"formalc extract: error: {err}\n")
        return EXIT_ERROR
    doc = extract(text, args.doc)
    report = RENDERERS[args.format]().render(doc)
    out = sys.stderr if args.output == "-" else sys.stdout
    out.write(report)
    if args.output:
        skel = skeleton_text(doc)
        if args.output == "-":
            sys.stdout.write(skel)
        else:
            try:
                Path(args.output).write_text(skel, encoding="utf-8")
            except OSError as e:
                sys.stderr.write(f"formalc extract: error: cannot write {args.output}: "
                                 f"{e.strerror or e}\n")
                return EXIT_ERROR
        problem = _verify(skel, args.output)
        if problem is not None:
            sys.stderr.write(problem)
            return EXIT_ERROR
    sys.stderr.write(TextReport.summary(doc) + "\n")
    if not doc.definitions:
        sys.stderr.write(f"formalc extract: {args.doc} has no definition blocks and no display "
                         "formulas (is it the analysis?)\n")
        return EXIT_INCOMPLETE
    complete = not doc.problems and all(f.status == "parsed" for f in doc.formulas())
    return EXIT_OK if complete else EXIT_INCOMPLETE


def _verify(skel: str, name: str) -> str | None:
    """The skeleton must load as a spec; if it does not, that is a bug of extract: say so."""
    import formalc
    try:
        formalc.loads(skel, name if name != "-" else "<skeleton>")
    except formalc.SpecError as e:
        errors = [d for d in e.diagnostics if d.is_error][:5]
        first = "\n".join(f"  {d.code}: {d.message}"
                          + (f" (skeleton line {d.span.line})" if d.span else "")
                          for d in errors)
        return ("formalc extract: error: the skeleton does not load as a spec (a bug of "
                f"formalc extract; please report it with the document):\n{first}\n")
    return None
