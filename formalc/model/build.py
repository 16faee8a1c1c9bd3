"""Name resolution and type checking of declarations: syntax modules in, a typed Spec out."""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from ..diagnostics import Diagnostic, Severity, Span, suggest
from ..syntax import ast
from . import nodes as m
from .calls import BUILTIN_FUNCS, CallMixin, _describe
from .scope import Scope, TypeVarCell
from .typecheck import ExprChecker
from .types import (BUILTIN_TYPES, EnumT, RecordT, SetT, SortT, Type)



@dataclass
class _Entry:
    kind: str  # enum, record, set, func, const, def, member
    decl: object
    module: str


def _annotations(decl) -> m.Annotations:
    defs = tuple(a.value for a in getattr(decl, "annotations", ()) if a.key == "def" and a.value)
    doc = next((a.value for a in getattr(decl, "annotations", ()) if a.key == "doc"), None)
    tags = tuple(a.key for a in getattr(decl, "annotations", ()) if a.value is None and a.key != "def")
    return m.Annotations(defs, doc, tags)


class Builder(CallMixin):
    """Builds the typed model of one root module together with the modules it imports."""

    def __init__(self, modules: list[ast.Module], root: ast.Module):
        self.modules, self.root = modules, root
        self.diags: list[Diagnostic] = []
        self.entries: dict[str, _Entry] = {}
        self.types: dict[str, m.TypeDecl] = {}
        self.members: dict[str, EnumT] = {}
        self.functions: dict[str, m.Function] = {}
        self.constants: dict[str, m.Constant] = {}
        self.definitions: dict[str, m.Definition] = {}
        self._in_progress: list[str] = []
        self.checker = ExprChecker(self, self.diags)
        from .machines import MachineBuilder
        from .schedules import ScheduleBuilder
        self.mb = MachineBuilder(self)
        self.sb = ScheduleBuilder(self)

    def annotations_of(self, decl) -> m.Annotations:
        return _annotations(decl)

    def error(self, code, msg, span, hint=None, notes=()):
        self.diags.append(Diagnostic(code, msg, span, hint=hint, notes=tuple(notes)))

    # ------------------------------------------------------------------ pass 1: symbols
    def _declare(self, name: str, kind: str, decl, module: str, span: Span | None) -> bool:
        if name in BUILTIN_TYPES or name in BUILTIN_FUNCS:
            self.error("FC211", f"`{name}` is built in and cannot be redeclared", span,
                       hint="choose another name")
            return False
        prev = self.entries.get(name)
        if prev is not None:
            if prev.decl is decl:
                return False
            sig, other = ((prev.decl, decl) if isinstance(prev.decl, ast.FuncSig)
                          else (decl, prev.decl))
            if isinstance(sig, ast.FuncSig) and isinstance(other, ast.DefDecl):
                self.error("FC202", f"`{name}` has a signature, so `{name}(…) := …` defines it "
                           "a second time", other.span,
                           notes=[("signature here", sig.span)],
                           hint=f"a table row is written with `=`: `{name}(a, b) = v`")
                return False
            self.error("FC202", f"`{name}` is declared twice", span,
                       notes=[("first declared here", getattr(prev.decl, "span", None))],
                       hint="rename one of them; names are shared by a file and its imports")
            return False
        self.entries[name] = _Entry(kind, decl, module)
        return True

    def collect(self) -> None:
        enums: list[tuple[ast.EnumDecl, str]] = []
        for mod in self.modules:
            for item in mod.items:
                if isinstance(item, ast.EnumDecl):
                    enums.append((item, mod.file))
                elif isinstance(item, ast.TupleDecl):
                    self._declare(item.name, "record", item, mod.file, item.span)
                elif isinstance(item, (ast.FuncSig,)):
                    self._declare(item.name, "func", item, mod.file, item.span)
                elif isinstance(item, ast.ValueSig):
                    self._declare(item.name, "const", item, mod.file, item.span)
                elif isinstance(item, (ast.DefDecl, ast.ConstDecl)):
                    self._declare(item.name, "def", item, mod.file, item.span)
                elif isinstance(item, ast.MachineDecl):
                    if self._declare(item.name, "machine", item, mod.file, item.span):
                        self.mb.decls[item.name] = (item, mod.file)
                elif isinstance(item, ast.ScheduleDecl):
                    if self._declare(item.name, "schedule", item, mod.file, item.span):
                        self.sb.decls[item.name] = (item, mod.file)
        # Larger enumerations first: a list of names that are all members of a larger one is
        # a named subset of it, not a new type.
        order = sorted(range(len(enums)), key=lambda i: (-len(enums[i][0].members), i))
        for i in order:
            decl, mod = enums[i]
            names = [x.name for x in decl.members]
            if not names:
                self.error("FC212", f"`{decl.name}` lists no members", decl.span,
                           hint="an enumeration needs at least one member: "
                                f"`{decl.name} = {{A, B}}`; for an empty set write `{{}}` where it is used")
            known = [n for n in names if n in self.members]
            if names and len(known) == len(names):
                self._declare(decl.name, "set", decl, mod, decl.span)
                continue
            if known:
                fresh = [x for x in decl.members if x.name not in self.members]
                first_known = next(x for x in decl.members if x.name in self.members)
                self.error("FC207", f"`{decl.name}` mixes new names ({', '.join(x.name for x in fresh[:3])}) "
                           f"with members of `{self.members[first_known.name].name}` "
                           f"({first_known.name})", first_known.span,
                           hint="an enumeration lists only new names; a named subset lists only "
                                "existing members")
                continue
            if not self._declare(decl.name, "enum", decl, mod, decl.span):
                continue
            seen: set[str] = set()
            uniq = []
            for x in decl.members:
                if x.name in seen:
                    self.error("FC202", f"`{x.name}` is listed twice in `{decl.name}`", x.span)
                    continue
                seen.add(x.name)
                uniq.append(x.name)
            t = EnumT(decl.name, tuple(uniq))
            self.types[decl.name] = m.TypeDecl(decl.name, t, _annotations(decl), mod, span=decl.span)
            for x in decl.members:
                if x.name in self.entries or x.name in BUILTIN_TYPES:
                    prev = self.entries.get(x.name)
                    self.error("FC202", f"`{x.name}` is declared twice (as a member of "
                               f"`{decl.name}`)", x.span,
                               notes=[("first declared here", getattr(prev.decl, "span", None))] if prev else ())
                    continue
                if x.name in self.members:
                    continue
                self.members[x.name] = t
                self.entries[x.name] = _Entry("member", x, mod)

    # ------------------------------------------------------------------ types
    def named_type(self, name: str, span, implicit_ok: bool, hint_ok: bool = True) -> Type | None:
        if name in BUILTIN_TYPES:
            return BUILTIN_TYPES[name]
        if name in self.types:
            return self.types[name].type
        e = self.entries.get(name)
        if e is not None and e.kind == "record":
            return self._record(name)
        if e is not None:
            self.error("FC208", f"`{name}` is {_describe(e.kind)}, not a type", span)
            return None
        if implicit_ok:
            t = SortT(name)
            self.types[name] = m.TypeDecl(name, t, span=span)
            close = suggest(name, [n for n, x in self.entries.items()
                                   if x.kind in ("enum", "record")] + list(BUILTIN_TYPES),
                            cutoff=0.8)
            if close and hint_ok:
                self.diags.append(Diagnostic(
                    "FC201", f"`{name}` is declared nowhere and is taken as an uninterpreted sort",
                    span, hint=close, severity=Severity.WARNING))
            return t
        self.error("FC201", f"unknown type `{name}`", span,
                   hint=suggest(name, [n for n, x in self.entries.items() if x.kind in ("enum", "record")]
                                + list(BUILTIN_TYPES) + list(self.types)))
        return None

    def resolve_type(self, t: ast.TypeExpr, checker=None, implicit_ok: bool = False) -> Type | None:
        if isinstance(t, ast.SetType):
            inner = self.resolve_type(t.elem, checker, implicit_ok)
            return SetT(inner) if inner is not None else None
        return self.named_type(t.name, t.span, implicit_ok)

    def type_from_expr(self, e: ast.Expr) -> Type | None:
        """A parameter's type written in expression position: `Container`, `set Capability`."""
        if isinstance(e, ast.Name):
            return self.named_type(e.name, e.span, implicit_ok=False)
        if isinstance(e, ast.SetOf):
            inner = self.type_from_expr(e.elem)
            return SetT(inner) if inner is not None else None
        self.error("FC301", "a parameter's type must be a type name or `set T`", e.span)
        return None

    def _record(self, name: str) -> Type | None:
        if name in self.types:
            return self.types[name].type
        e = self.entries[name]
        decl: ast.TupleDecl = e.decl  # type: ignore[assignment]
        if name in self._in_progress:
            self.error("FC206", f"tuple type `{name}` contains itself", decl.span,
                       hint="a tuple may refer to other tuples, but not to itself")
            return None
        self._in_progress.append(name)
        try:
            fields = []
            seen = set()
            for f in decl.fields:
                implicit = f.name is None or True
                ft = self.resolve_type(f.type, implicit_ok=implicit)
                fname = f.name if f.name is not None else getattr(f.type, "name", str(f.type))
                if fname in seen:
                    self.error("FC202", f"field `{fname}` appears twice in `{name}`", f.span)
                    continue
                seen.add(fname)
                if ft is None:
                    return None
                fields.append((fname, ft))
        finally:
            self._in_progress.pop()
        t = RecordT(name, tuple(fields))
        self.types[name] = m.TypeDecl(name, t, _annotations(decl), e.module, span=decl.span)
        return t

    # ------------------------------------------------------------------ values
    def lookup_kind(self, name: str) -> str | None:
        if name in BUILTIN_TYPES:
            return "builtin"
        e = self.entries.get(name)
        return e.kind if e else None

    def resolve_value(self, name: str, span, chk: ExprChecker):
        e = self.entries.get(name)
        if e is None:
            if name in BUILTIN_TYPES:
                self.error("FC208", f"`{name}` is a type, not a value", span)
                return None
            self.error("FC201", f"unknown name `{name}`", span,
                       hint=suggest(name, list(self.entries)))
            return None
        if e.kind == "member":
            return m.EnumConst(name, self.members[name], span=span)
        if e.kind == "enum":
            t = self.types[name].type
            return m.AllOf(SetT(t), span=span)
        if e.kind == "const":
            c = self.constant(name)
            return m.ConstRef(name, c.type, span=span) if c else None
        if e.kind in ("def", "set"):
            d = self.definition(name)
            if d is None:
                return None
            if d.params:
                self.error("FC303", f"`{name}` takes {len(d.params)} argument(s): write "
                           f"`{name}({', '.join(p for p, _ in d.params)})`", span)
                return None
            return m.Apply(name, (), d.type, span=span)
        if e.kind == "func":
            f = self.function(name)
            if f is not None and not f.domain:
                return m.FuncApp(name, (), f.codomain, span=span)
            self.error("FC208", f"`{name}` is a function; apply it to arguments", span)
            return None
        if e.kind == "machine":
            self.error("FC208", f"`{name}` is a machine, not a value", span,
                       hint=f"state its properties in a check: `check p: {name} ⊨ always …`")
            return None
        if e.kind == "schedule":
            self.error("FC208", f"`{name}` is a schedule, not a value", span,
                       hint=f"state its properties in a check: `check p: {name} ⊨ feasible`")
            return None
        self.error("FC208", f"`{name}` is a type, not a value", span,
                   hint=f"to range over it, write `∀ x: {name} • …`")
        return None

    # ------------------------------------------------------------------ declarations
    def function(self, name: str) -> m.Function | None:
        if name in self.functions:
            return self.functions[name]
        e = self.entries[name]
        d: ast.FuncSig = e.decl  # type: ignore[assignment]
        dom = [self.resolve_type(t, implicit_ok=True) for t in d.domain]
        cod = self.resolve_type(d.codomain, implicit_ok=True)
        if cod is None or any(x is None for x in dom):
            return None
        f = m.Function(name, tuple(dom), cod, (), _annotations(d), e.module, span=d.span)
        self.functions[name] = f
        return f

    def constant(self, name: str) -> m.Constant | None:
        if name in self.constants:
            return self.constants[name]
        e = self.entries[name]
        d: ast.ValueSig = e.decl  # type: ignore[assignment]
        t = self.resolve_type(d.type, implicit_ok=True)
        if t is None:
            return None
        c = m.Constant(name, t, _annotations(d), e.module, span=d.span)
        self.constants[name] = c
        return c

    def definition(self, name: str) -> m.Definition | None:
        if name in self.definitions:
            return self.definitions[name]
        e = self.entries[name]
        if name in self._in_progress:
            cycle = self._in_progress[self._in_progress.index(name):] + [name]
            self.error("FC206", f"`{name}` is defined in terms of itself: {' → '.join(cycle)}",
                       getattr(e.decl, "span", None),
                       hint="definitions are expanded in place, so they cannot be recursive")
            return None
        self._in_progress.append(name)
        try:
            d = self._definition(name, e)
        finally:
            self._in_progress.pop()
        if d is not None:
            self.definitions[name] = d
        return d

    def _definition(self, name: str, e: _Entry) -> m.Definition | None:
        decl = e.decl
        if isinstance(decl, ast.EnumDecl):  # a named subset of an enumeration
            t = self.members[decl.members[0].name]
            elems = []
            for x in decl.members:
                if self.members[x.name] != t:
                    self.error("FC301", f"`{decl.name}` mixes members of `{t.name}` and "
                               f"`{self.members[x.name].name}`", x.span)
                    return None
                elems.append(m.EnumConst(x.name, t, span=x.span))
            body = m.SetLit(tuple(elems), SetT(t), span=decl.span)
            return m.Definition(name, (), body, body.type, _annotations(decl), e.module, span=decl.span)
        if isinstance(decl, ast.ConstDecl):
            body = self.checker.check(decl.body, Scope())
            if body is None:
                return None
            return m.Definition(name, (), body, body.type, _annotations(decl), e.module, span=decl.span)
        # DefDecl: parameters, inferring the untyped ones from a first pass over the body.
        scope = Scope()
        cells: dict[str, TypeVarCell] = {}
        params: list[tuple[str, object]] = []
        for p in decl.params:
            if p.name is None:
                if not isinstance(p.value, ast.Name):
                    self.error("FC301", "a parameter is a name, optionally with a type: `c` or "
                               "`c: Container`", p.span)
                    return None
                cell = TypeVarCell(p.value.name, p.span)
                cells[p.value.name] = cell
                params.append((p.value.name, cell))
            else:
                t = self.type_from_expr(p.value)
                if t is None:
                    return None
                params.append((p.name, t))
        names = [n for n, _ in params]
        if len(set(names)) != len(names):
            self.error("FC310", f"a parameter of `{name}` is named twice", decl.span)
            return None
        if cells:
            probe = Scope({n: t for n, t in params})
            scratch: list[Diagnostic] = []
            ExprChecker(self, scratch).check(decl.body, probe)
            for n, cell in cells.items():
                if cell.bound is None:
                    if not any(d.code == "FC305" for d in scratch):
                        self.error("FC305", f"cannot infer the type of parameter `{n}` of `{name}`",
                                   cell.span, hint=f"write it with a type: `{name}({n}: T)`")
                    else:
                        self.diags.extend(d for d in scratch if d.code == "FC305")
                    return None
            params = [(n, (t.bound if isinstance(t, TypeVarCell) else t)) for n, t in params]
        scope = Scope({n: t for n, t in params})
        body = self.checker.check(decl.body, scope)
        if body is None:
            return None
        return m.Definition(name, tuple(params), body, body.type, _annotations(decl), e.module,
                            span=decl.span)

    # ------------------------------------------------------------------ tables
    def tables(self) -> None:
        rows: dict[str, list] = {}
        for mod in self.modules:
            for item in mod.items:
                if isinstance(item, ast.EntryDecl):
                    rows.setdefault(item.name, []).append(item)
        for name, entries in rows.items():
            e = self.entries.get(name)
            if e is None or e.kind != "func":
                kind = _describe(e.kind) if e else None
                self.error("FC201" if e is None else "FC208",
                           f"table row for `{name}`, which is " + (kind or "not declared"),
                           entries[0].span,
                           hint=f"declare its signature first, e.g. `{name}: A × B → C`")
                continue
            f = self.function(name)
            if f is None:
                continue
            table: dict[tuple, tuple] = {}
            for row in entries:
                r = self._row(f, row)
                if r is None:
                    continue
                key, value = r
                if key in table:
                    prev_value, prev_row = table[key]
                    if prev_value == value:
                        self.diags.append(Diagnostic(
                            "FC209", f"row `{name}({', '.join(map(str, key))})` is listed twice",
                            row.span, severity=Severity.WARNING,
                            notes=(("first listed here", prev_row.span),)))
                    else:
                        self.error("FC210", f"`{name}({', '.join(map(str, key))})` is given two "
                                   f"values: {_show(prev_value)} and {_show(value)}", row.span,
                                   notes=[("first value given here", prev_row.span)],
                                   hint="a function has one value per argument tuple")
                    continue
                table[key] = (value, row)
            self.functions[name] = m.Function(
                f.name, f.domain, f.codomain,
                tuple((k, v) for k, (v, _) in table.items()), f.annotations, f.module, span=f.span)

    def _row(self, f: m.Function, row: ast.EntryDecl):
        if len(row.args) != len(f.domain):
            self.error("FC303", f"`{f.name}` takes {len(f.domain)} argument(s), the row gives "
                       f"{len(row.args)}", row.span)
            return None
        key = []
        for a, t in zip(row.args, f.domain):
            x = self.checker.check(a.value, Scope(), t)
            if x is None:
                return None
            v = _constant_value(x)
            if v is None:
                self.error("FC301", "a table row's arguments must be constants (enumeration "
                           "members or literals)", a.span)
                return None
            key.append(v)
        value = self.checker.check(row.value, Scope(), f.codomain)
        if value is None:
            return None
        return tuple(key), value

    # ------------------------------------------------------------------ the whole spec
    def build(self, sources: dict[str, str]) -> tuple[list[Diagnostic], m.Spec | None]:
        self.collect()
        for name, e in list(self.entries.items()):
            if e.kind == "record":
                self._record(name)
            elif e.kind == "func":
                self.function(name)
            elif e.kind == "const":
                self.constant(name)
            elif e.kind in ("def", "set"):
                self.definition(name)
        self.tables()
        machines = self.mb.build_all()
        schedules = self.sb.build_all()
        checks, assumptions = [], []
        names_seen: dict[str, Span] = {}
        for mod in self.modules:
            for item in mod.items:
                if isinstance(item, ast.AssumeStmt):
                    f = self.checker.check_bool(item.formula, Scope(), "an assumption")
                    if f is not None:
                        assumptions.append(m.Assumption(item.name or f"{_stem(mod.file)}:{item.span.line}",
                                                        f, _annotations(item), mod.file, span=item.span))
                elif isinstance(item, ast.CheckStmt) and mod is self.root:
                    left = getattr(item.formula, "machine", None)
                    if isinstance(left, ast.Name) and left.name in self.sb.decls:
                        f = self.sb.property(item.formula, item.kind)
                    elif isinstance(item.formula, ast.Models):
                        f = self.mb.property(item.formula, item.kind)
                    else:
                        f = self.checker.check_bool(item.formula, Scope(), "a check")
                    cname = item.name or f"{_stem(mod.file)}:{item.span.line}"
                    if item.name and item.name in names_seen:
                        self.error("FC202", f"two checks are named `{item.name}`", item.span,
                                   notes=[("first here", names_seen[item.name])])
                        continue
                    names_seen[cname] = item.span
                    if f is not None:
                        checks.append(m.Check(cname, item.kind, f, _annotations(item), mod.file,
                                              span=item.span))
        if any(d.is_error for d in self.diags):
            return self.diags, None
        spec = m.Spec(self.root.file, {n: d for n, d in self.types.items()}, dict(self.functions),
                      dict(self.constants), dict(self.definitions), tuple(checks),
                      tuple(assumptions), tuple(mod.file for mod in self.modules if mod is not self.root),
                      sources, machines=dict(machines), schedules=dict(schedules))
        return self.diags, spec


def _stem(file: str) -> str:
    import os
    return os.path.splitext(os.path.basename(file))[0]


def _constant_value(x):
    if isinstance(x, m.EnumConst):
        return x.member
    if isinstance(x, m.Lit):
        return x.value
    if isinstance(x, m.ToReal) and isinstance(x.operand, m.Lit):
        return Fraction(x.operand.value)
    return None


def _show(x) -> str:
    v = _constant_value(x)
    return f"`{v}`" if v is not None else "an expression"
