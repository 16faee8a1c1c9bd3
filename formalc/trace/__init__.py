"""``formalc trace``: from the definitions of an analysis document to the specs that formalise
them and the checks that cover them.

The public face is :func:`trace` and the values it returns (:mod:`formalc.trace.model`)::

    from formalc.trace import trace
    report = trace("analysis.md", ["specs/"])
    for row in report.rows:
        print(row.number, row.status, [d.name for d in row.decls][:3], row.verdict_counts())
    for p in report.problems:
        print(p.kind, p.definition, p.message, [str(loc) for loc in p.locations])
    report.exit_code(require_all=True)      # 0, 1 (a problem), 2 (a spec has errors)

Stages, one direction: the document is extracted (:func:`formalc.extract.extract`), the specs
are compiled and indexed (:mod:`.specs`), their checks run or read from the result cache,
each definition's declarations compared (:mod:`.compare`) and assembled (:mod:`.matrix`);
the renderers (:mod:`.render`) never compute anything.
"""
from __future__ import annotations

import os
import time

from .model import PROBLEMS, Coverage, Location, Match, Problem, Row, TraceReport


class TraceError(Exception):
    """The document cannot be read (missing, a folder, not UTF-8 text)."""


def read_document(path: str | os.PathLike) -> str:
    """The text of the document at ``path``; raises :class:`TraceError` when unreadable."""
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except IsADirectoryError:
        raise TraceError(f"{path} is a folder, not a document") from None
    except OSError as e:
        raise TraceError(f"cannot read {path}: {e.strerror}") from None
    if b"\x00" in data:
        raise TraceError(f"{path} is a binary file, not a Markdown document")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise TraceError(f"{path} is not valid UTF-8 (byte 0x{data[e.start]:02x} at offset "
                         f"{e.start})") from None
    return text.removeprefix("\ufeff")


def trace(document: str | os.PathLike, specs: list[str], *, check: bool = True,
          cache: bool = True, timeout: float = 10.0, jobs: int | None = None,
          max_size: int | None = None) -> TraceReport:
    """Trace the document at ``document`` against the spec files and folders ``specs``.

    With ``check`` every check of the specs is run (through the result cache when ``cache``);
    without it the verdicts come from the result cache only and a check it does not hold is
    "not run". Spec errors are diagnostics of the report (``exit_code`` 2); an unreadable
    document raises :class:`TraceError`."""
    from ..extract import extract
    from .matrix import build
    from .specs import cached_verdicts, load_specs, run_verdicts
    start = time.perf_counter()
    doc = extract(read_document(document), str(document))
    index = load_specs(list(specs), max_size)
    outcomes: dict = {}
    if index.ok:
        if check:
            outcomes = run_verdicts(list(specs), timeout=timeout, jobs=jobs, cache=cache,
                                    max_size=max_size)
        elif cache:
            outcomes = cached_verdicts(index)
    report = build(doc, index, outcomes, "run" if check else "cache", list(specs))
    report.seconds = time.perf_counter() - start
    return report


__all__ = [
    "PROBLEMS",
    "Coverage",
    "Location",
    "Match",
    "Problem",
    "Row",
    "TraceError",
    "TraceReport",
    "read_document",
    "trace",
]
