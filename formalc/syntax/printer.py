"""The canonical text of a spec: what ``formalc fmt`` prints.

:func:`format_module` prints a parsed :class:`~formalc.syntax.ast.Module`; :func:`format_text`
parses text and prints it. The output is canonical and deterministic:

* Unicode operators (``∧ ∨ ¬ ⇒ ⇔ ∀ ∃ Σ • ∈ ∉ ⊆ ∪ ∩ × ≤ ≥ ≠ →``), ``:=`` for definitions;
* one import, declaration, assumption or check per line (expressions are never wrapped);
  each annotation (``@def 3.1``) on its own line before its item;
* a blank line wherever the kind of item changes (imports, types, functions and their tables,
  definitions, assumptions, checks) and before an annotated item whose annotations differ
  from the previous item's; :func:`format_text` also keeps the text's own blank lines
  (a run of them becomes one);
* the fewest parentheses that keep the syntax tree: ``parse(format_module(m))`` gives a module
  equal to ``m`` (syntax trees compare without spans). ``a ∧ (b ∧ c)`` keeps its parentheses,
  because the parser keeps that tree as written.

Comments: :func:`format_module` has none to print — the parser drops comments, so a module
printed from its syntax tree has none. :func:`format_text` puts them back from the text:
a comment that ends the line of an item's end stays at the end of that (now single) line;
every other comment gets a line of its own before the item it precedes, or lies inside, or
at the end of the file. Layout inside an item is canonical, not kept: an item that does not fit
in WIDTH columns is broken at its top-level connectives, quantifier bullets, call arguments and
set elements (see _wrap).
"""
from __future__ import annotations

import re
from fractions import Fraction

from ..diagnostics import SpecError
from . import ast

__all__ = ["format_module", "format_text", "format_expr"]

# ---------------------------------------------------------------------------- precedence
# Binding strength, loosest first (formalc/syntax/chain.py): `M ⊨ φ` (TOP), `~>`, `until`
# (right-associative), then the Boolean levels; `always`, `eventually`, `next` are prefix
# operators at the level of ¬. Quantifiers, sums and if-then-else are atoms on their left but
# extend to the right over everything down to ⇔ (see _absorbs).
TOP, LEADSTO, UNTIL, IFF, IMP, OR, AND, NOT, CMP, ADD, MUL, NEG, POSTFIX, ATOM = range(14)
#: A "follow" marker: the expression is followed by a separator (`,` `•` `|`) that nothing
#: could absorb, but where an open-ended quantifier is parenthesised for the reader's sake.
DELIM = -1

_NARY_LEVEL = {"⇔": IFF, "∨": OR, "∧": AND}
_TEMPORAL_LEVEL = {"until": UNTIL, "~>": LEADSTO}  # always, eventually, next: NOT
_ADD_OPS = {"+", "-", "∪", "\\"}
_MUL_OPS = {"×", "/", "∩"}
_NUMBER = re.compile(r"\d+(\.\d+)?")


def _prec(e) -> int:
    if isinstance(e, ast.Nary):
        return _NARY_LEVEL[e.op]
    if isinstance(e, ast.Implies):
        return IMP
    if isinstance(e, ast.Unary):
        return NOT if e.op == "¬" else NEG
    if isinstance(e, ast.Compare):
        return CMP
    if isinstance(e, ast.Chain):
        return _chain_level(e)
    if isinstance(e, (ast.Call, ast.FieldAccess)):
        return POSTFIX
    if isinstance(e, (ast.Number, ast.Quantity)) and e.value < 0:
        return NEG  # not produced by the parser; printed as `-3`
    if isinstance(e, ast.Temporal):
        return _TEMPORAL_LEVEL.get(e.op, NOT)
    if isinstance(e, ast.Models):
        return TOP
    return ATOM


def _chain_level(e: ast.Chain) -> int:
    return ADD if e.ops and e.ops[0] in _ADD_OPS else MUL


def _absorbs(e, follow: int | None) -> bool:
    """Would ``e``, printed bare, swallow what follows it (an operator of level ``follow``)?"""
    if follow is None:
        return False
    if isinstance(e, (ast.Quant, ast.Ite)):
        return True  # the body / else branch extends right over everything
    if isinstance(e, ast.Sum):
        # The body is additive, so `+ × ( .` would be absorbed; a comparison would not, but
        # `(Σ n ∈ F • n.cpu) ≤ 4` reads better than the bare form, so parenthesise always.
        return True
    if isinstance(e, ast.SetOf):
        return follow == POSTFIX  # `set a(b)` is set (a(b))
    return False


# ---------------------------------------------------------------------------- literals
def _decimal(value: Fraction, point: bool) -> str:
    """``value`` as a decimal literal (no exponent); ``point`` forces a decimal point."""
    sign = "-" if value < 0 else ""
    value = abs(value)
    n, d = value.numerator, value.denominator
    if d == 1:
        return f"{sign}{n}.0" if point else f"{sign}{n}"
    rest = d
    twos = fives = 0
    while rest % 2 == 0:
        rest //= 2
        twos += 1
    while rest % 5 == 0:
        rest //= 5
        fives += 1
    if rest != 1:
        raise ValueError(f"{value} has no finite decimal form, so no literal denotes it")
    k = max(twos, fives)
    digits = str(n * 10 ** k // d).rjust(k + 1, "0")
    return f"{sign}{digits[:-k]}.{digits[-k:]}"


def _string(value: str) -> str:
    out = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")
    return f'"{out}"'


def _type(t) -> str:
    if isinstance(t, ast.SetType):
        return "set " + _type(t.elem)
    return t.name


# ---------------------------------------------------------------------------- expressions
def _x(e, need: int, follow: int | None) -> str:
    """``e`` in a slot that needs binding strength ``need``, followed by ``follow``."""
    if _prec(e) < need or _absorbs(e, follow) or \
            (need >= POSTFIX and isinstance(e, (ast.Quant, ast.Sum, ast.Ite))):
        # quantifiers, Σ and if-then-else are prefix forms of an operand: they cannot be the
        # base of a call or field access, or follow `set`, without parentheses
        return "(" + _bare(e, None) + ")"
    return _bare(e, follow)


def _bare(e, follow: int | None) -> str:
    if isinstance(e, ast.Name):
        return e.name
    if isinstance(e, ast.Number):
        return _decimal(e.value, not e.is_int)
    if isinstance(e, ast.Quantity):
        return _decimal(e.value, False) + e.unit
    if isinstance(e, ast.String):
        return _string(e.value)
    if isinstance(e, ast.BoolLit):
        return "true" if e.value else "false"
    if isinstance(e, ast.Unary):
        if e.op == "¬":
            return "¬" + _x(e.operand, NOT, follow)
        inner = e.operand
        if isinstance(inner, ast.Unary) or (isinstance(inner, (ast.Number, ast.Quantity))
                                            and inner.value < 0):
            return "-(" + _bare(inner, None) + ")"  # not `--x`
        return "-" + _x(inner, NEG, follow)
    if isinstance(e, ast.Nary):
        level = _NARY_LEVEL[e.op]
        return _join(e.operands, [e.op] * (len(e.operands) - 1), level + 1, level, follow)
    if isinstance(e, ast.Implies):
        return f"{_x(e.left, OR, IMP)} ⇒ {_x(e.right, IMP, follow)}"
    if isinstance(e, ast.Compare):
        return f"{_x(e.left, ADD, CMP)} {e.op} {_x(e.right, ADD, follow)}"
    if isinstance(e, ast.Chain):
        level = _chain_level(e)
        return _join(e.operands, e.ops, level + 1, level, follow)
    if isinstance(e, ast.Call):
        return _x(e.func, POSTFIX, POSTFIX) + "(" + ", ".join(_arg(a) for a in e.args) + ")"
    if isinstance(e, ast.FieldAccess):
        return _x(e.obj, POSTFIX, POSTFIX) + "." + e.field
    if isinstance(e, ast.SetLit):
        return "{" + ", ".join(_x(x, TOP, None) for x in e.elems) + "}"
    if isinstance(e, ast.SetCompr):
        return "{" + _x(e.head, TOP, DELIM) + " | " + _items(e.items) + "}"
    if isinstance(e, ast.Card):
        inner = _x(e.operand, TOP, None)
        if inner.startswith("|") or inner.endswith("|"):
            inner = f" {inner} "  # `||` would lex as the ASCII `or`
        return "|" + inner + "|"
    if isinstance(e, ast.Quant):
        return f"{e.kind} {_items(e.items)} • {_x(e.body, IFF, follow)}"
    if isinstance(e, ast.Sum):
        return f"Σ {_items(e.items)} • {_x(e.body, ADD, follow)}"
    if isinstance(e, ast.Ite):
        return (f"if {_x(e.cond, TOP, None)} then {_x(e.then, TOP, None)} "
                f"else {_x(e.orelse, IFF, follow)}")
    if isinstance(e, ast.SetOf):
        return "set " + _x(e.elem, POSTFIX, follow)
    if isinstance(e, ast.Temporal):
        if e.op in _TEMPORAL_LEVEL:  # until (right-associative), ~> (non-associative)
            level = _TEMPORAL_LEVEL[e.op]
            left, right = e.operands
            need = IFF if e.op == "until" else UNTIL
            return f"{_x(left, need, level)} {e.op} {_x(right, UNTIL, follow)}"
        return _temporal_head(e) + _x(e.operands[0], NOT, follow)
    if isinstance(e, ast.Models):
        return f"{_x(e.machine, LEADSTO, TOP)} ⊨ {_x(e.prop, LEADSTO, follow)}"
    raise TypeError(f"not an expression node: {e!r}")


def _temporal_head(e: ast.Temporal) -> str:
    """`always `, `eventually within 5 `: a prefix temporal operator before its operand."""
    return e.op + (f" within {e.bound} " if e.bound is not None else " ")


def _join(operands, ops, need: int, level: int, follow: int | None) -> str:
    last = len(operands) - 1
    parts = [_x(o, need, follow if i == last else level) for i, o in enumerate(operands)]
    out = parts[0]
    for op, part in zip(ops, parts[1:]):
        out += f" {op} {part}"
    return out


def _arg(a: ast.Arg) -> str:
    value = _x(a.value, TOP, None)
    return value if a.name is None else f"{a.name}: {value}"


def _items(items) -> str:
    out = []
    for it in items:
        if isinstance(it, ast.TypedBinder):
            out.append(f"{it.name}: {_type(it.type)}")
        else:
            out.append(_x(it, TOP, DELIM))
    return ", ".join(out)


def format_expr(e) -> str:
    """The canonical text of one expression (as it would stand alone after ``check``)."""
    return _x(e, TOP, None)


# ---------------------------------------------------------------------------- line breaks
#: Lines longer than this are broken: at the top-level ∧/∨/⇔/⇒ of a formula, after the
#: bullet of a quantifier, between the arguments of a call and the elements of a set.
WIDTH = 100
INDENT = "  "


def _parenthesised(e, need: int, follow: int | None) -> bool:
    return _prec(e) < need or _absorbs(e, follow) or \
        (need >= POSTFIX and isinstance(e, (ast.Quant, ast.Sum, ast.Ite)))


def _wrap(e, indent: str, need: int = TOP, follow: int | None = None) -> str:
    """``_x(e, need, follow)`` with line breaks where it would not fit; continuation lines
    start with ``indent`` (plus nesting). The tokens are those of ``_x``: only whitespace
    differs, so the text parses to the same tree."""
    flat = _x(e, need, follow)
    if len(indent) + len(flat) <= WIDTH:
        return flat
    if _parenthesised(e, need, follow):
        return "(" + _wrap(e, indent + " ", TOP, None) + ")"
    if isinstance(e, (ast.Nary, ast.Chain)):
        if isinstance(e, ast.Nary):
            level = _NARY_LEVEL[e.op]
            ops = [e.op] * (len(e.operands) - 1)
        else:
            level, ops = _chain_level(e), list(e.ops)
        last = len(e.operands) - 1
        parts = [_wrap(o, indent, level + 1, follow if i == last else level)
                 for i, o in enumerate(e.operands)]
        out = parts[0]
        for op, part in zip(ops, parts[1:]):
            out += f" {op}\n{indent}{part}"
        return out
    if isinstance(e, ast.Implies):
        return (_wrap(e.left, indent, OR, IMP) + " ⇒\n" + indent
                + _wrap(e.right, indent, IMP, follow))
    if isinstance(e, ast.Quant):
        inner = indent + INDENT
        return f"{e.kind} {_items(e.items)} •\n{inner}" + _wrap(e.body, inner, IFF, follow)
    if isinstance(e, ast.Models):
        return (_wrap(e.machine, indent, LEADSTO, TOP) + " ⊨\n" + indent
                + _wrap(e.prop, indent, LEADSTO, follow))
    if isinstance(e, ast.Temporal) and e.op in _TEMPORAL_LEVEL:
        left, right = e.operands
        need = IFF if e.op == "until" else UNTIL
        return (_wrap(left, indent, need, _TEMPORAL_LEVEL[e.op]) + f" {e.op}\n" + indent
                + _wrap(right, indent, UNTIL, follow))
    if isinstance(e, ast.Temporal):
        head = _temporal_head(e)
        return head + _wrap(e.operands[0], indent + " " * len(head), NOT, follow)
    if isinstance(e, ast.Call) and len(e.args) > 1:
        head = _x(e.func, POSTFIX, POSTFIX) + "("
        return head + _pack([_arg(a) for a in e.args], indent, len(indent) + len(head), ")")
    if isinstance(e, ast.SetLit) and len(e.elems) > 1:
        return "{" + _pack([_x(x, TOP, None) for x in e.elems], indent, len(indent) + 1, "}")
    return flat


def _pack(parts: list[str], indent: str, column: int, close: str) -> str:
    """Comma-separated ``parts`` filled greedily into lines of at most WIDTH columns, starting at
    ``column``; continuation lines are indented one step more than ``indent``."""
    if not parts:
        return close
    inner = indent + INDENT
    out, col = "", column
    for i, part in enumerate(parts):
        piece = part + ("," if i < len(parts) - 1 else close)
        if i and col + 1 + len(piece) > WIDTH:
            out += "\n" + inner
            col = len(inner)
        elif i:
            out += " "
            col += 1
        out += piece
        col += len(piece)
    return out


def _formula(head: str, e) -> str:
    """``head`` followed by the expression ``e``: on one line if it fits, else the expression
    starts on the next line, indented, and is broken further as needed."""
    flat = f"{head} {format_expr(e)}"
    if len(flat) <= WIDTH:
        return flat
    if isinstance(e, ast.Models):  # `check name: M ⊨` stays on the first line
        return (f"{head} {_x(e.machine, LEADSTO, TOP)} ⊨\n{INDENT}"
                + _wrap(e.prop, INDENT, LEADSTO, None))
    return f"{head}\n{INDENT}" + _wrap(e, INDENT)



# ---------------------------------------------------------------------------- machines
def _evref(r: ast.EvRef) -> str:
    return r.event if r.component is None else f"{r.component}.{r.event}"


def _do_item(it, follow: int | None) -> str:
    if isinstance(it, ast.Assign):
        return f"{it.name} := {_x(it.value, TOP, follow)}"
    return it.name


def _do_items(items) -> list[str]:
    return [_do_item(it, None) for it in items]  # nothing after `,` could be absorbed


def _range(lo, hi) -> str:
    return f"{_x(lo, TOP, DELIM)}..{_x(hi, TOP, DELIM)}"


def _clause(head: str, e, indent: str, follow: int | None) -> str:
    """``head e`` (`when g`, `var x: T = e`) where the line starts at ``indent``: ``e`` is
    broken as needed, its continuation lines aligned with its start."""
    return f"{head} " + _wrap(e, indent + " " * (len(head) + 1), TOP, follow)


def _rule(head: str, guard, effects, indent: str) -> str:
    """A row or rule: ``head [when g] [do …]``; when it does not fit, `when` and `do` start
    lines of their own, one step deeper."""
    g_follow = None  # `do` ends a guard: nothing could be absorbed
    parts = [head]
    if guard is not None:
        parts.append(f"when {_x(guard, TOP, g_follow)}")
    if effects:
        parts.append("do " + ", ".join(_do_items(effects)))
    flat = " ".join(parts)
    if len(indent) + len(flat) <= WIDTH:
        return flat
    inner = indent + INDENT
    out = head
    if guard is not None:
        out += f"\n{inner}" + _clause("when", guard, inner, g_follow)
    if effects:
        out += f"\n{inner}do " + _pack(_do_items(effects), inner, len(inner) + 3, "")
    return out


def _mitem(it, indent: str) -> str:
    """One item of a machine block (no indentation on its first line; continuation lines
    start with ``indent`` plus nesting)."""
    if isinstance(it, ast.MSig):
        types = " × ".join(_type(t) for t in it.domain)
        if it.codomain is None:
            if len(it.domain) != 1:
                raise ValueError(f"`{it.name}: …` lost its type: it cannot be printed")
            return f"{it.name}: {types}"
        return f"{it.name}: {types} → {_type(it.codomain)}"
    if isinstance(it, ast.MStates):
        head = it.kind + " "
        return head + _pack([_evref(r) for r in it.names], indent, len(indent) + len(head), "")
    if isinstance(it, ast.MVar):
        head = f"var {it.name}: {_type(it.type)}"
        return head if it.init is None else _clause(head + " =", it.init, indent, None)
    if isinstance(it, ast.MParam):
        return f"param {it.name} ∈ {_range(it.lo, it.hi)}"
    if isinstance(it, ast.MEffect):
        head = f"effect {it.name}: "
        return head + _pack(_do_items(it.items), indent, len(indent) + len(head), "")
    if isinstance(it, ast.MRow):
        head = f"{it.func}({it.src.name}, {it.event.name}) = {it.dst.name}"
        return _rule(head, it.guard, it.effects, indent)
    if isinstance(it, ast.MComponent):
        return f"{it.name}[{_range(it.lo, it.hi)}]: {it.machine.name}"
    if isinstance(it, ast.MSync):
        return _rule(", ".join(_evref(r) for r in it.events), it.guard, it.effects, indent)
    raise TypeError(f"not a machine item: {it!r}")


def _sitem(it, indent: str) -> str:
    """One statement of a schedule block (continuation lines start with ``indent``)."""
    if isinstance(it, ast.SDomain):
        return _clause(f"{it.kind} {it.var} ∈", it.set, indent, None)
    if isinstance(it, ast.SValue):
        return _clause(f"{it.kind}:", it.value, indent, None)
    if isinstance(it, ast.SRule):
        return _clause(f"{it.kind} {it.name}:", it.body, indent, None)
    if isinstance(it, ast.SPair):
        return _clause(f"{it.kind} {it.name} ({it.a}, {it.b}):", it.body, indent, None)
    if isinstance(it, ast.SMinimize):
        return _clause("minimize", it.objective, indent, None)
    raise TypeError(f"not a schedule statement: {it!r}")


def _machine(item, comments=None) -> str:
    """A machine or schedule block: one item a line, indented one step. ``comments``, from
    format_text: ``(header, leading, trailing, tail)`` — the comments that end the `{` line,
    those before each item (with BLANKs), those that end each item's last line, and those
    before `}`."""
    header, leading, trailing, tail = comments or ((), None, None, ())
    is_schedule = isinstance(item, ast.ScheduleDecl)
    render = _sitem if is_schedule else _mitem
    head = f"{'schedule' if is_schedule else 'machine'} {item.name} {{"
    if not item.items and not header and not tail:
        return head + "}"
    lines = [" ".join([head, *header])]

    def put(xs, first: bool) -> None:
        xs = list(xs)
        while first and xs and xs[0] is BLANK:
            xs.pop(0)
        lines.extend("" if x is BLANK else INDENT + x for x in xs)

    for k, it in enumerate(item.items):
        put(leading[k] if leading else (), k == 0)
        text = INDENT + render(it, INDENT)
        if trailing and trailing[k]:
            text += " " + " ".join(trailing[k])
        lines.append(text)
    put(tail, not item.items)
    lines.append("}")
    return "\n".join(lines)


# ---------------------------------------------------------------------------- items
def _annotation(a: ast.Annotation) -> str:
    if a.value is None:
        return f"@{a.key}"
    if _NUMBER.fullmatch(a.value):
        return f"@{a.key} {a.value}"
    return f'@{a.key} "{a.value}"'  # the parser keeps the string's text as written


def _item_body(item, comments=None) -> str:
    if isinstance(item, ast.Import):
        return f'import "{item.target}"' if item.is_path else f"import {item.target}"
    if isinstance(item, ast.EnumDecl):
        head = f"{item.name} = {{"
        return head + _pack([m.name for m in item.members], "", len(head), "}")
    if isinstance(item, ast.TupleDecl):
        head = f"{item.name} = ("
        fields = [_type(f.type) if f.name is None else f"{f.name}: {_type(f.type)}"
                  for f in item.fields]
        return head + _pack(fields, "", len(head), ")")
    if isinstance(item, ast.FuncSig):
        return (f"{item.name}: " + " × ".join(_type(t) for t in item.domain)
                + f" → {_type(item.codomain)}")
    if isinstance(item, ast.ValueSig):
        return f"{item.name}: {_type(item.type)}"
    if isinstance(item, ast.DefDecl):
        params = ", ".join(_arg(a) for a in item.params)
        return _formula(f"{item.name}({params}) :=", item.body)
    if isinstance(item, ast.ConstDecl):
        flat = f"{item.name} := {format_expr(item.body)}"
        if len(flat) > WIDTH and isinstance(item.body, (ast.Call, ast.SetLit)):
            return f"{item.name} := " + _wrap(item.body, "")  # an instance: one field a line
        return _formula(f"{item.name} :=", item.body)
    if isinstance(item, ast.EntryDecl):
        args = ", ".join(_arg(a) for a in item.args)
        return _formula(f"{item.name}({args}) =", item.value)
    if isinstance(item, ast.CheckStmt):
        head = "check sat" if item.kind == "sat" else "check"
        name = f" {item.name}:" if item.name is not None else ""
        return _formula(f"{head}{name}", item.formula)
    if isinstance(item, ast.AssumeStmt):
        name = f" {item.name}:" if item.name is not None else ""
        return _formula(f"assume{name}", item.formula)
    if isinstance(item, (ast.MachineDecl, ast.ScheduleDecl)):
        return _machine(item, comments)
    raise TypeError(f"not a module item: {item!r}")


def format_item(item, comments=None) -> str:
    """One item: its annotations, one a line, then the item itself (no final newline);
    ``comments``: those inside a machine block (see _machine)."""
    lines = [_annotation(a) for a in getattr(item, "annotations", ())]
    lines.append(_item_body(item, comments))
    return "\n".join(lines)


def _group(item) -> str:
    if isinstance(item, ast.Import):
        return "import"
    if isinstance(item, (ast.EnumDecl, ast.TupleDecl)):
        return "type"
    if isinstance(item, (ast.FuncSig, ast.ValueSig, ast.EntryDecl)):
        return "function"
    if isinstance(item, (ast.DefDecl, ast.ConstDecl)):
        return "definition"
    if isinstance(item, ast.AssumeStmt):
        return "assume"
    if isinstance(item, ast.MachineDecl):
        return "machine"
    if isinstance(item, ast.ScheduleDecl):
        return "schedule"
    return "check"


def _blank_before(prev, item) -> bool:
    """The layout rule: a blank line where the kind of item changes, around every machine or
    schedule block, and before an annotated item whose annotations differ from those of the
    item before it."""
    if prev is None:
        return False
    anns = getattr(item, "annotations", ())
    return _group(prev) != _group(item) or isinstance(item, _BLOCKS) or (bool(anns) and anns != getattr(prev, "annotations", ()))


def format_module(module: ast.Module) -> str:
    """The canonical text of ``module`` (ends with a newline unless the module is empty)."""
    return _layout(module.items, None, None, ())


BLANK = None  # a blank line in a list of comment lines
_BLOCKS = (ast.MachineDecl, ast.ScheduleDecl)  # items printed as a braced block


def _layout(items, leading, trailing, tail, inner=None) -> str:
    """``leading[i]``: the comments (and BLANKs) before item ``i``; ``trailing[i]``: the
    comments that end its last line; ``tail``: those after the last item; ``inner[i]``: the
    comments inside machine block ``i`` (see _machine)."""
    out: list[str] = []
    prev = None
    for i, item in enumerate(items):
        before = list(leading[i]) if leading else []
        if _blank_before(prev, item) and (not before or before[0] is not BLANK):
            before.insert(0, BLANK)
        if prev is None:
            while before and before[0] is BLANK:
                before.pop(0)
        out.extend("" if x is BLANK else x for x in before)
        text = format_item(item, inner.get(i) if inner else None)
        if trailing and trailing[i]:
            text += " " + " ".join(trailing[i])
        out.append(text)
        prev = item
    tail = list(tail)
    if not out:
        while tail and tail[0] is BLANK:
            tail.pop(0)
    out.extend("" if x is BLANK else x for x in tail)
    return "\n".join(out) + "\n" if out else ""


# ---------------------------------------------------------------------------- text
def _comments(text: str):
    """``(start, end)`` of each comment of ``text`` (text that the lexer accepted)."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == '"':
            i += 1
            while i < n and text[i] not in '"\n':
                i += 2 if text[i] == "\\" else 1
            i += 1
        elif text.startswith("//", i):
            end = text.find("\n", i)
            end = n if end < 0 else end
            out.append((i, end))
            i = end
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            end = n if end < 0 else end + 2
            out.append((i, end))
            i = end
        else:
            i += 1
    return out


def format_text(text: str, name: str = "<string>") -> str:
    """Parse ``text`` and return its canonical form; raises :class:`SpecError` when it does not
    parse. ``format_text(format_text(t)) == format_text(t)``.

    Besides the layout rule of :func:`format_module`, a blank line of the text between two
    items (or comments) is kept, as one blank line. Inside a machine block the same rules
    place comments and blank lines among the block's items.
    """
    from .parser import parse

    diags, module = parse(text, name)
    if any(d.is_error for d in diags):
        raise SpecError(diags, {name: text})
    items = module.items
    comments = _comments(text) if "/" in text else []
    blocks = {j: _block(text, it, comments) for j, it in enumerate(items)
              if isinstance(it, _BLOCKS)}
    spans = [(_start(it), blocks[j][1] if j in blocks else it.span.end_pos)
             for j, it in enumerate(items)]
    leading, trailing, tail, _, inside = _place(text, spans, comments, 0, len(text), False)
    inner: dict[int, tuple] = {}
    for j, found in enumerate(inside):
        if j in blocks:  # comments in the braces stay in the block, among its items
            open_, close = blocks[j]
            item = items[j]
            mine = [c for c in found if c[0] > open_]
            lead, trail, mtail, head, minside = _place(
                text, [(it.span.start_pos, it.span.end_pos) for it in item.items], mine,
                open_ + 1, close - 1, True)
            for k, cs in enumerate(minside):
                lead[k].extend(_text(text, c) for c in cs)
            inner[j] = (head, lead, trail, mtail)
            found = [c for c in found if c[0] < open_]
        leading[j].extend(_text(text, c) for c in found)
    return _layout(items, leading, trailing, tail, inner)


def _text(text: str, comment) -> str:
    return text[comment[0]:comment[1]].rstrip()


def _place(text: str, spans, comments, anchor: int, stop: int, header: bool):
    """Distributes ``comments`` among items at ``spans`` (``(start, end)`` in the text),
    reading from ``anchor`` to ``stop``. Returns ``(leading, trailing, tail, head, inside)``:
    a comment that ends the line where an item ends (or, with ``header``, the line where
    reading starts: ``head``) stays on that line; every other comment goes before the item
    that follows it (``leading``, with BLANK for a blank line of the text) or, after the last
    item, into ``tail``; ``inside[j]`` lists the comments (as ``(start, end)``) within item j."""
    n = len(spans)
    leading: list[list] = [[] for _ in spans]
    trailing: list[list] = [[] for _ in spans]
    inside: list[list] = [[] for _ in spans]
    tail: list = []
    head: list = []
    prev = head if header else None  # where a comment on the current line would go
    ci = 0

    def gap_to(pos: int, dest: list) -> None:
        nonlocal anchor
        if text.count("\n", anchor, pos) >= 2:
            dest.append(BLANK)
        anchor = pos

    for j, (start, end) in enumerate(spans + [(stop, stop)]):
        dest = leading[j] if j < n else tail
        while ci < len(comments) and comments[ci][0] < start:
            cs, ce = comments[ci]
            if prev is not None and not dest and "\n" not in text[anchor:cs]:
                prev.append(_text(text, comments[ci]))
            else:
                gap_to(cs, dest)
                dest.append(_text(text, comments[ci]))
            anchor = ce
            ci += 1
        if j < n:
            gap_to(start, dest)
            while ci < len(comments) and comments[ci][0] < end:
                inside[j].append(comments[ci])
                ci += 1
            anchor = end
            prev = trailing[j]
    return leading, trailing, tail, head, inside


def _skip(text: str, pos: int, comments) -> int:
    """The first position at or after ``pos`` that is neither whitespace nor in a comment."""
    starts = {cs: ce for cs, ce in comments}
    while pos < len(text):
        if text[pos].isspace():
            pos += 1
        elif pos in starts:
            pos = starts[pos]
        else:
            break
    return pos


def _block(text: str, item, comments) -> tuple[int, int]:
    """Where the braces of a machine or schedule block are: ``(position of {, position after })``. The
    declaration's own span covers `machine Name` only (diagnostics point there)."""
    open_ = _skip(text, item.span.end_pos, comments)
    last = item.items[-1].span.end_pos if item.items else open_ + 1
    close = _skip(text, last, comments)
    if text[open_:open_ + 1] != "{" or text[close:close + 1] != "}":  # cannot happen
        return item.span.end_pos, item.span.end_pos
    return open_, close + 1


def _start(item) -> int:
    """Where an item begins in the text: at its first annotation, if it has any (an item's
    own span starts at its name or keyword, so that diagnostics point there)."""
    anns = getattr(item, "annotations", ())
    return min([a.span.start_pos for a in anns] + [item.span.start_pos])
