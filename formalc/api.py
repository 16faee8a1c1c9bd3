"""The library API: load specs, check them, format them."""
from __future__ import annotations

import os
from pathlib import Path

from .checks.results import Report
from .checks.runner import DEFAULT_TIMEOUT_S, run_checks
from .diagnostics import Diagnostic, SpecError
from .model.compile import compile_file, compile_text
from .model.loader import DEFAULT_MAX_SIZE, Loader, collect_files
from .model.nodes import Spec


def load(path: str | os.PathLike, *, max_size: int = DEFAULT_MAX_SIZE) -> Spec:
    """Parse and type-check the spec at ``path`` (with its imports).

    Raises :class:`SpecError` (with every diagnostic) when the spec has errors.

    >>> spec = load("specs/lifecycle.iot")          # doctest: +SKIP
    >>> [c.name for c in spec.checks][:1]            # doctest: +SKIP
    ['deleted_absorbing']
    """
    loader = Loader(max_size=max_size)
    diags, spec = compile_file(Path(path), loader)
    if spec is None:
        raise SpecError(diags, loader.sources)
    return spec


def loads(text: str, name: str = "<string>", *, base: str | os.PathLike | None = None) -> Spec:
    """Parse and type-check spec ``text``; relative imports resolve against ``base``
    (default: the current directory). Raises :class:`SpecError` on errors.

    >>> spec = loads("S = {a, b}\\ncheck two: |S| = 2")
    >>> check(spec).result("two").verdict.value
    'proved'
    """
    loader = Loader()
    diags, spec = compile_text(text, name, loader, Path(base) if base else Path.cwd())
    if spec is None:
        raise SpecError(diags, loader.sources)
    return spec


def check(spec: Spec, *, timeout: float = DEFAULT_TIMEOUT_S,
          select: list[str] | None = None) -> Report:
    """Discharge the checks of ``spec``; ``select`` keeps the checks whose name contains (or
    glob-matches) one of the patterns. Every check gets ``timeout`` seconds."""
    results = run_checks(spec, timeout, select)
    return Report(results=results, files=[spec.file], sources=dict(spec.sources))


def check_paths(paths: list[str], *, timeout: float = DEFAULT_TIMEOUT_S,
                select: list[str] | None = None, max_size: int = DEFAULT_MAX_SIZE) -> Report:
    """Check files and folders (folders: every ``.iot`` file in them). Spec errors are in
    ``report.diagnostics``; the checks of the files without errors still run."""
    diags, files = collect_files(paths)
    report = Report(diagnostics=list(diags))
    loader = Loader(max_size=max_size)
    for f in files:
        fdiags, spec = compile_file(f, loader)
        report.diagnostics.extend(d for d in fdiags if d not in report.diagnostics)
        report.files.append(str(f))
        if spec is not None:
            report.results.extend(run_checks(spec, timeout, select))
    report.sources = dict(loader.sources)
    return report


def diagnose(text: str, name: str = "<string>") -> list[Diagnostic]:
    """All diagnostics (errors and warnings) for spec ``text``, without running checks."""
    diags, _ = compile_text(text, name, Loader(), Path.cwd())
    return diags
