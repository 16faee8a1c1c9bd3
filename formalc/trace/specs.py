"""The spec side of a trace: the declarations and checks of the given files, and their verdicts.

Every file given (folders: every ``.iot`` file in them) is compiled with its imports. A
*declaration* is any type, function, constant, definition, machine or schedule with a source
location, imported ones included, each counted once (by name, file and line) however many
files import it. A *check* is a check written in one of the given files (imports contribute
declarations, not checks: a check belongs to the file that states it, as in ``formalc check``).

Everything is reduced to plain values (:class:`SpecDecl`, :class:`SpecCheck`) so that the
comparison with the document never touches the model's classes.
"""
from __future__ import annotations

import os

from dataclasses import dataclass, field
from pathlib import Path

from ..diagnostics import Diagnostic
from ..model import nodes as m
from ..model.types import BOOL, EnumT, RecordT, SetT


@dataclass(frozen=True)
class SpecDecl:
    """A declaration of a spec, reduced to what the comparison needs.

    ``kind`` is ``enum``, ``tuple``, ``sort``, ``set`` (a named subset of an enumeration),
    ``function``, ``predicate``, ``metric``, ``value``, ``constant``, ``machine`` or
    ``schedule``. ``parts`` are ``(name, type name)`` pairs: a tuple's fields, an enumeration's
    or a subset's members (the type name is then the member), a function's or definition's
    parameters (a function's parameters are unnamed: ``("", type)``). ``result`` is the type of
    a function's, definition's or constant's value; ``uses`` the names a definition's body
    mentions; ``objective`` whether a schedule minimises something."""
    kind: str
    name: str
    file: str
    line: int
    defs: tuple[str, ...]
    parts: tuple[tuple[str, str], ...] = ()
    result: str | None = None
    uses: frozenset = frozenset()
    objective: bool = False

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}"

    def shape(self) -> str:
        """A one-line description: ``tuple (image, runtime, …)``, ``States × Events → States``."""
        if self.kind in ("enum", "set"):
            return f"{self.kind} {{{', '.join(p for p, _ in self.parts)}}}"
        if self.kind == "tuple":
            return f"tuple ({', '.join(p for p, _ in self.parts)})"
        if self.kind == "function":
            return f"{' × '.join(t for _, t in self.parts)} → {self.result}"
        if self.kind in ("predicate", "metric"):
            return f"{self.kind}({', '.join(f'{p}: {t}' for p, t in self.parts)}): {self.result}"
        if self.kind in ("value", "constant"):
            return f"{self.kind}: {self.result}"
        return self.kind


@dataclass(frozen=True)
class SpecCheck:
    """A check: its name, place, kind (``valid``/``sat``), the definitions its ``@def`` tags
    cite, the names its formula mentions (:func:`mentions`) and the formula's text."""
    name: str
    file: str
    line: int
    kind: str
    defs: tuple[str, ...]
    mentions: frozenset
    formula: str = ""

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass
class SpecIndex:
    """Everything the given spec files declare and check, and the diagnostics met loading them
    (``ok`` is false when one is an error: the trace cannot be trusted then)."""
    files: list[str] = field(default_factory=list)
    decls: list[SpecDecl] = field(default_factory=list)
    checks: list[SpecCheck] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    sources: dict = field(default_factory=dict)
    specs: list = field(default_factory=list)  # the compiled Specs, for the verdicts

    @property
    def ok(self) -> bool:
        return bool(self.files) and not any(d.is_error for d in self.diagnostics)

    def tagged(self, number: str) -> list[SpecDecl]:
        """The declarations whose ``@def`` tags cite ``number``."""
        return [d for d in self.decls if number in d.defs]


def _tname(t) -> str:
    return str(t) if t is not None else "?"


def _decl(kind: str, node, **kw) -> SpecDecl:
    return SpecDecl(kind, node.name, node.span.file, node.span.line, node.annotations.defs, **kw)


def _type_decl(t: m.TypeDecl) -> SpecDecl:
    ty = t.type
    if isinstance(ty, EnumT):
        return _decl("enum", t, parts=tuple((x, x) for x in ty.members))
    if isinstance(ty, RecordT):
        return _decl("tuple", t, parts=tuple((f, _tname(ft)) for f, ft in ty.fields))
    return _decl("sort", t)


def _definition(d: m.Definition) -> SpecDecl:
    params = tuple((p, _tname(t)) for p, t in d.params)
    uses = frozenset(mentions(d.body))
    if not d.params:
        body = d.body
        if isinstance(body, m.SetLit) and isinstance(d.type, SetT) and body.elems and \
                all(isinstance(e, m.EnumConst) for e in body.elems):
            return _decl("set", d, parts=tuple((e.member, e.member) for e in body.elems),
                         result=_tname(d.type), uses=uses)
        return _decl("value", d, result=_tname(d.type), uses=uses)
    kind = "predicate" if d.type == BOOL else "metric"
    return _decl(kind, d, parts=params, result=_tname(d.type), uses=uses)


def mentions(expr) -> set[str]:
    """The declared names an expression mentions directly: definitions and functions applied,
    constants, tuple types constructed or bound (``∀ s: T``), enumerations whose members or
    whole set it uses, the machine of ``M ⊨ φ`` and the schedule of ``S ⊨ p``. Names reached
    only through a definition's body are not included."""
    out: set[str] = set()
    stack = [expr]
    while stack:
        e = stack.pop()
        if isinstance(e, (m.Apply, m.FuncApp, m.ConstRef)):
            out.add(e.name)
        elif isinstance(e, m.Construct):
            out.add(e.record)
        elif isinstance(e, m.EnumConst):
            out.add(getattr(e.type, "name", ""))
        elif isinstance(e, m.AllOf):
            out.add(getattr(getattr(e.type, "elem", None), "name", ""))
        elif isinstance(e, m.Total):
            out.add(e.func)
        elif isinstance(e, m.Models):
            out.add(e.machine)
        elif isinstance(e, m.ScheduleProp):
            out.add(e.schedule)
        elif isinstance(e, m.Binder) and e.domain is None:
            out.add(getattr(e.var_type, "name", ""))
        try:
            stack.extend(m.children(e))
        except AttributeError:  # not a model node (a plain value inside a tuple)
            pass
    out.discard("")
    return out


def _add_spec(index: SpecIndex, spec: m.Spec, seen: set) -> None:
    def add(d: SpecDecl) -> None:
        key = (d.name, d.file, d.line)
        if key not in seen:
            seen.add(key)
            index.decls.append(d)

    for t in spec.types.values():
        if t.span is not None:
            add(_type_decl(t))
    for f in spec.functions.values():
        if f.span is not None:
            add(_decl("function", f, parts=tuple(("", _tname(t)) for t in f.domain),
                      result=_tname(f.codomain)))
    for c in spec.constants.values():
        if c.span is not None:
            add(_decl("constant", c, result=_tname(c.type)))
    for d in spec.definitions.values():
        if d.span is not None:
            add(_definition(d))
    for mc in spec.machines.values():
        if mc.span is not None:
            add(_decl("machine", mc))
    for s in spec.schedules.values():
        if s.span is not None:
            add(_decl("schedule", s, objective=bool(s.objectives)))
    from ..checks.runner import formula_text
    for c in spec.checks:
        if c.span is None:
            continue
        index.checks.append(SpecCheck(c.name, c.span.file, c.span.line, c.kind,
                                      c.annotations.defs, frozenset(mentions(c.formula)),
                                      formula_text(spec, c)))


def load_specs(paths: list[str], max_size: int | None = None) -> SpecIndex:
    """Compile every spec file of ``paths`` (files and folders) and index it. Never raises:
    unreadable files and spec errors are diagnostics of the index."""
    from ..model.compile import compile_file
    from ..model.loader import DEFAULT_MAX_SIZE, Loader, collect_files, display_name
    index = SpecIndex()
    diags, files = collect_files(paths)
    index.diagnostics.extend(diags)
    loader = Loader(max_size=max_size or DEFAULT_MAX_SIZE)
    seen: set = set()
    for f in files:
        fdiags, spec = compile_file(Path(f), loader)
        index.diagnostics.extend(d for d in fdiags if d not in index.diagnostics)
        index.files.append(display_name(Path(f)))
        if spec is not None:
            index.specs.append(spec)
            _add_spec(index, spec, seen)
    index.sources = dict(loader.sources)
    index.decls.sort(key=lambda d: (d.file, d.line, d.name))
    return index


# ------------------------------------------------------------------------------ verdicts
@dataclass(frozen=True)
class Outcome:
    """The latest verdict of a check: ``value`` proved / satisfied / violated / unknown, or
    None when it was not run (``--no-check`` without a cached result); ``reason`` says why an
    unknown is unknown; ``cached`` whether it came from the result cache."""
    value: str | None
    reason: str | None = None
    cached: bool = False

    @property
    def holds(self) -> bool:
        return self.value in ("proved", "satisfied")


def run_verdicts(paths: list[str], *, timeout: float, jobs: int | None, cache: bool,
                 max_size: int | None = None) -> dict[tuple[str, str], Outcome]:
    """Check every file of ``paths`` (as ``formalc check`` does, in parallel, through the
    result cache when ``cache``) and return the verdicts by ``(file, check name)``."""
    from ..api import check_paths
    from ..model.loader import DEFAULT_MAX_SIZE
    report = check_paths(paths, timeout=timeout, jobs=jobs, cache=cache,
                         max_size=max_size or DEFAULT_MAX_SIZE)
    return {verdict_key(r.file, r.check): Outcome(r.verdict.value, r.reason, r.cached)
            for r in report.results}


def verdict_key(file: str, check: str) -> tuple[str, str]:
    """How verdicts are looked up: by the file's real path (the cache may hold a file under
    another spelling of its path than the one given now) and the check's name."""
    return (os.path.realpath(file), check)


def cached_verdicts(index: SpecIndex) -> dict[tuple[str, str], Outcome]:
    """The verdicts the result cache holds for the index's checks, without solving anything;
    a check whose spec (or an import, or formalc itself) changed since it was stored has none."""
    from ..checks.cache import ResultCache, default_dir
    d = default_dir()
    if d is None:
        return {}
    rc = ResultCache(d)
    out: dict[tuple[str, str], Outcome] = {}
    for spec in index.specs:
        key = rc.spec_key(spec)
        for c in spec.checks:
            r = rc.get(key, c.name)
            if r is not None:
                out[verdict_key(spec.file, c.name)] = Outcome(r.verdict.value, r.reason, True)
    return out
