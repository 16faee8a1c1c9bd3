"""From text or files to a typed Spec: parse, resolve imports, build. Never raises on bad input."""
from __future__ import annotations

from pathlib import Path

from ..diagnostics import Diagnostic
from .build import Builder
from .loader import Loader
from .nodes import Spec


def compile_text(text: str, name: str = "<string>", loader: Loader | None = None,
                 base: Path | None = None) -> tuple[list[Diagnostic], Spec | None]:
    loader = loader or Loader()
    diags, mod = loader.text_module(text, name)
    return _finish(loader, diags, mod, (base / "_") if base else None)


def compile_file(path: Path, loader: Loader | None = None) -> tuple[list[Diagnostic], Spec | None]:
    loader = loader or Loader()
    diags, mod = loader.module(path)
    if mod is None:
        return diags, None
    return _finish(loader, list(diags), mod, path.resolve())


def _finish(loader: Loader, diags, mod, path):
    idiags, modules = loader.closure(mod, path)
    diags = list(diags) + idiags
    if any(d.is_error for d in diags):
        return _dedupe(diags), None
    from ..syntax.parser import _no_gc
    with _no_gc():
        bdiags, spec = Builder(modules, mod).build(loader.sources)
    diags += bdiags
    if spec is not None:
        spec.sources.update(loader.sources)
        if spec.schedules:
            # a schedule's values (its sets, replicas, weights) are checked here, so that
            # `formalc check` reports an empty node set like any other error in the spec
            from ..schedule.lower import check_spec
            diags += check_spec(spec)
    return _dedupe(diags), (spec if not any(d.is_error for d in diags) else None)


def _dedupe(diags):
    seen, out = set(), []
    for d in diags:
        key = (d.code, d.message, d.span)
        if key not in seen:
            seen.add(key)
            out.append(d)
    return out
