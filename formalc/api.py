"""The library API: load specs, check them, format them."""
from __future__ import annotations

import os
from pathlib import Path

from typing import TYPE_CHECKING

from .checks.results import Report
from .checks.runner import DEFAULT_TIMEOUT_S, run_checks
from .diagnostics import Diagnostic, SpecError
from .model.loader import DEFAULT_MAX_SIZE, Loader, collect_files

if TYPE_CHECKING:
    from .model.nodes import Spec

# The parser and the model builder (Lark, the syntax and model dataclasses) are imported where
# they are needed: a run whose files are all unchanged since the last one needs neither.


def load(path: str | os.PathLike, *, max_size: int = DEFAULT_MAX_SIZE) -> Spec:
    """Parse and type-check the spec at ``path`` (with its imports).

    Raises :class:`SpecError` (with every diagnostic) when the spec has errors.

    >>> spec = load("specs/lifecycle.iot")          # doctest: +SKIP
    >>> [c.name for c in spec.checks][:1]            # doctest: +SKIP
    ['deleted_absorbing']
    """
    from .model.compile import compile_file
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
    from .model.compile import compile_text
    loader = Loader()
    diags, spec = compile_text(text, name, loader, Path(base) if base else Path.cwd())
    if spec is None:
        raise SpecError(diags, loader.sources)
    return spec


def check(spec: Spec, *, timeout: float = DEFAULT_TIMEOUT_S,
          select: list[str] | None = None, cache: bool = False, engine: str = "auto") -> Report:
    """Discharge the checks of ``spec``; ``select`` keeps the checks whose name contains (or
    glob-matches) one of the patterns. Every check gets ``timeout`` seconds. With
    ``cache=True`` definite results are reused from, and stored in, the result cache.
    ``engine`` decides machine checks: "auto", "explicit" or "symbolic" (the cache is used
    with "auto" only, so a chosen engine always runs)."""
    results = run_checks(spec, timeout, select, _cache(cache and engine == "auto"), engine)
    return Report(results=results, files=[spec.file], sources=dict(spec.sources))


def check_paths(paths: list[str], *, timeout: float = DEFAULT_TIMEOUT_S,
                select: list[str] | None = None, max_size: int = DEFAULT_MAX_SIZE,
                jobs: int | None = None, cache: bool = False, on_file=None,
                engine: str = "auto") -> Report:
    """Check files and folders (folders: every ``.iot`` file in them). Spec errors are in
    ``report.diagnostics``; the checks of the files without errors still run.

    ``jobs`` worker processes check files in parallel (default: one per CPU, at most one per
    file); results and diagnostics come back in file order, so the report does not depend on it.
    With ``cache=True`` definite results are reused from, and stored in, the result cache.
    ``on_file(path, diagnostics, results)`` is called for each file as soon as it and every
    file before it are done (so a caller can show results while later files are checked).
    ``engine`` decides machine checks, as in :func:`check`.
    """
    diags, files = collect_files(paths)
    report = Report(diagnostics=list(diags))
    rc = _cache(cache and engine == "auto")
    # Files whose cached report still holds are answered here; the others are checked, in
    # parallel when there are several.
    outcomes: list = [rc.file_get(f, select) if rc is not None else None for f in files]
    todo = [i for i, o in enumerate(outcomes) if o is None]
    jobs = _jobs(jobs, len(todo))
    announced = 0

    def announce() -> None:  # report every finished file whose predecessors are finished too
        nonlocal announced
        while announced < len(files) and outcomes[announced] is not None:
            if on_file is not None:
                fdiags, results, _ = outcomes[announced]
                on_file(files[announced], fdiags, results)
            announced += 1

    announce()
    if jobs > 1:
        for i, o in _parallel([files[i] for i in todo], timeout, select, max_size, jobs, rc,
                              indices=todo, engine=engine):
            outcomes[i] = o
            announce()
    else:
        loader = Loader(max_size=max_size)
        for i in todo:
            outcomes[i] = _check_file(files[i], timeout, select, loader, rc, engine)
            announce()
    for f, (fdiags, results, sources) in zip(files, outcomes):
        report.diagnostics.extend(d for d in fdiags if d not in report.diagnostics)
        report.files.append(str(f))
        report.results.extend(results)
        report.sources.update(sources)
    return report


def _jobs(jobs: int | None, n_files: int) -> int:
    if jobs is None:
        env = os.environ.get("FORMALC_JOBS")
        jobs = int(env) if env and env.isdigit() else (os.cpu_count() or 1)
    return max(1, min(jobs, n_files))


def _cache(enabled: bool):
    if not enabled:
        return None
    from .checks.cache import ResultCache, default_dir
    d = default_dir()
    return ResultCache(d) if d is not None else None


def _check_file(path: Path, timeout, select, loader: Loader, cache=None, engine="auto"):
    from .model.compile import compile_file
    fdiags, spec = compile_file(path, loader)
    results = run_checks(spec, timeout, select, cache, engine) if spec is not None else []
    if cache is not None and spec is not None:
        cache.file_put(path, spec, fdiags, results, loader.sources)
    return fdiags, results, dict(loader.sources)


_worker_loader: Loader | None = None


def _worker(args):
    # One loader per worker process, so modules imported by several files are parsed once.
    global _worker_loader
    path, timeout, select, max_size, cache, engine = args
    if _worker_loader is None or _worker_loader.max_size != max_size:
        _worker_loader = Loader(max_size=max_size)
    return _check_file(path, timeout, select, _worker_loader, cache, engine)


def _parallel(files, timeout, select, max_size, jobs, cache=None, indices=None, engine="auto"):
    """Yield ``(index, outcome)`` as files finish (``indices`` numbers them; default 0…n-1)."""
    indices = list(range(len(files))) if indices is None else indices
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    from .syntax.parser import _get_parser
    _get_parser()  # build the parser once, before forking, so workers inherit it
    try:
        ctx = multiprocessing.get_context("fork")
    except ValueError:  # no fork on this platform: check in this process
        loader = Loader(max_size=max_size)
        for i, f in zip(indices, files):
            yield i, _check_file(f, timeout, select, loader, cache, engine)
        return
    # Largest files first keeps both workers busy to the end; results are put back in order.
    order = sorted(range(len(files)), key=lambda i: -files[i].stat().st_size)
    from concurrent.futures import as_completed
    with ProcessPoolExecutor(max_workers=jobs, mp_context=ctx) as pool:
        futures = {pool.submit(_worker, (files[i], timeout, select, max_size, cache, engine)): i
                   for i in order}
        for fut in as_completed(futures):
            yield indices[futures[fut]], fut.result()


def diagnose(text: str, name: str = "<string>") -> list[Diagnostic]:
    """All diagnostics (errors and warnings) for spec ``text``, without running checks."""
    from .model.compile import compile_text
    diags, _ = compile_text(text, name, Loader(), Path.cwd())
    return diags


def schedule_problem(spec: Spec, name: str | None = None):
    """The placement problem (:class:`formalc.schedule.problem.Problem`) of the schedule
    ``name`` in ``spec`` (default: its only schedule). Raises :class:`SpecError` when the
    schedule cannot be lowered (an empty node set, a set that is not a finite constant, …)
    and ``KeyError`` when there is no such schedule."""
    from .schedule.lower import lower
    names = list(spec.schedules)
    if name is None:
        if len(names) != 1:
            raise KeyError(f"name the schedule: {spec.file} has {len(names)} ({', '.join(names)})")
        name = names[0]
    if name not in spec.schedules:
        raise KeyError(f"no schedule `{name}` in {spec.file}")
    problem, diags = lower(spec, name)
    if problem is None:
        raise SpecError(diags, dict(spec.sources))
    return problem


def solve(spec_or_problem, name: str | None = None, *, time_limit: float = 60.0, seed: int = 0):
    """Solve a schedule: ``spec_or_problem`` is a :class:`Spec` (with ``name`` choosing the
    schedule) or a :class:`~formalc.schedule.problem.Problem` built by hand. Returns a
    :class:`~formalc.schedule.result.Solution`: optimal (with a proof), feasible (best found,
    bound and gap), infeasible (with an explanation) or unknown (with the reason); its
    placement has been re-checked by the independent evaluator.

    >>> sol = solve(load("examples/plant_floor/plant.iot"))      # doctest: +SKIP
    >>> sol.status, sol.problem.named(sol.placement)["historian"]  # doctest: +SKIP
    ('optimal', ['mdc-1', 'mdc-2'])
    """
    from .schedule.problem import Problem
    from .schedule.solve import solve as _solve
    problem = spec_or_problem if isinstance(spec_or_problem, Problem) else \
        schedule_problem(spec_or_problem, name)
    return _solve(problem, time_limit, seed=seed)
