"""JSON and YAML documents as plain values, with the source span of every value and key.

>>> docs, diags = parse_text('a:\\n  b: [1, "x"]\\n', "f.yaml")
>>> docs[0].value, str(docs[0].positions[("a", "b", 1)])
({'a': {'b': [1, 'x']}}, 'f.yaml:2:10')

JSON is read by a small parser of our own (the standard library does not report positions);
YAML through PyYAML's composer (the C one when available), whose nodes carry marks. Both are
hardened: nesting deeper than :data:`MAX_DEPTH` and YAML aliases that expand to more than
:data:`MAX_ALIAS_NODES` nodes (a "billion laughs" file) are refused with FC601; nothing raises.

:class:`Reader` reads fields of a document with the type they must have and reports wrong types
(FC602), unknown fields (FC603) and missing fields (FC607) as diagnostics.
"""
from __future__ import annotations

import json
import re
from bisect import bisect_right
from dataclasses import dataclass, field
from typing import Any, Iterable

from ..diagnostics import Diagnostic, Severity, Span, suggest

#: Deeper nesting is refused (FC601); real configuration files nest a dozen levels at most.
MAX_DEPTH = 128
#: Nodes that YAML aliases may add by expansion, per document.
MAX_ALIAS_NODES = 100_000


@dataclass
class Document:
    """One parsed document: its plain ``value``, the span of every value (``positions``, by
    path of keys and indices; ``()`` is the whole document) and of every mapping key (``keys``,
    by the path of the value the key names)."""
    file: str
    value: Any
    positions: dict = field(default_factory=dict)
    keys: dict = field(default_factory=dict)
    index: int = 0  # the document's number in a multi-document YAML stream

    def span(self, path: tuple) -> Span:
        """The span of ``path`` or of its nearest enclosing value that has one."""
        path = tuple(path)
        while path and path not in self.positions:
            path = path[:-1]
        return self.positions.get(path) or Span.whole(self.file)


class _Lines:
    """Offsets → 1-based line and column."""

    def __init__(self, text: str):
        self.starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def span(self, file: str, start: int, end: int) -> Span:
        line = bisect_right(self.starts, start) - 1
        end_line = bisect_right(self.starts, end) - 1
        return Span(file, line + 1, start - self.starts[line] + 1,
                    end_line + 1, end - self.starts[end_line] + 1, start, end)


def looks_like_json(text: str) -> bool:
    return text.lstrip()[:1] in ("{", "[")


def parse_text(text: str, file: str) -> tuple[list[Document], list[Diagnostic]]:
    """Parse ``text`` as JSON when the file is named ``*.json`` or starts with ``{``/``[``
    (falling back to YAML for a non-``.json`` file that is YAML in flow style), else as YAML."""
    if text.startswith("\ufeff"):
        text = text[1:]
    if file.lower().endswith(".json"):
        return parse_json(text, file)
    if looks_like_json(text):
        docs, diags = parse_json(text, file)
        if not any(d.code == "FC601" and d.is_error for d in diags):
            return docs, diags
        ydocs, ydiags = parse_yaml(text, file)
        if not any(d.code == "FC601" and d.is_error for d in ydiags):
            return ydocs, ydiags
        return docs, diags
    return parse_yaml(text, file)


# --------------------------------------------------------------------------------------- JSON
class _JSONError(Exception):
    def __init__(self, message: str, pos: int):
        self.message, self.pos = message, pos


_WS = re.compile(r"[ \t\n\r]*").match
_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?").match
_LITERALS = (("true", True), ("false", False), ("null", None))


def parse_json(text: str, file: str) -> tuple[list[Document], list[Diagnostic]]:
    """Parse strict JSON (RFC 8259: no comments, no trailing commas, no NaN)."""
    lines = _Lines(text)
    doc = Document(file, None)
    diags: list[Diagnostic] = []

    def value(i: int, path: tuple, depth: int) -> tuple[Any, int]:
        if depth > MAX_DEPTH:
            raise _JSONError(f"nested more than {MAX_DEPTH} levels deep", i)
        c = text[i:i + 1]
        if c == "{":
            out: dict = {}
            j = _WS(text, i + 1).end()
            if text[j:j + 1] == "}":
                end = j + 1
            else:
                while True:
                    if text[j:j + 1] != '"':
                        raise _JSONError("expected a key in double quotes", j)
                    key, k_end = _string(j)
                    kpath = path + (key,)
                    if key in out:
                        first = doc.keys[kpath]
                        diags.append(Diagnostic(
                            "FC601", f"duplicate key `{key}` (first at line {first.line}); "
                            "the last value is used", lines.span(file, j, k_end),
                            severity=Severity.WARNING))
                    doc.keys[kpath] = lines.span(file, j, k_end)
                    j = _WS(text, k_end).end()
                    if text[j:j + 1] != ":":
                        raise _JSONError("expected `:` after the key", j)
                    j = _WS(text, j + 1).end()
                    out[key], j = value(j, kpath, depth + 1)
                    j = _WS(text, j).end()
                    c = text[j:j + 1]
                    if c == "}":
                        end = j + 1
                        break
                    if c != ",":
                        raise _JSONError("expected `,` or `}`", j)
                    j = _WS(text, j + 1).end()
                    if text[j:j + 1] == "}":
                        raise _JSONError("trailing comma before `}`", j)
            result: Any = out
        elif c == "[":
            items: list = []
            j = _WS(text, i + 1).end()
            if text[j:j + 1] == "]":
                end = j + 1
            else:
                while True:
                    v, j = value(j, path + (len(items),), depth + 1)
                    items.append(v)
                    j = _WS(text, j).end()
                    c = text[j:j + 1]
                    if c == "]":
                        end = j + 1
                        break
                    if c != ",":
                        raise _JSONError("expected `,` or `]`", j)
                    j = _WS(text, j + 1).end()
                    if text[j:j + 1] == "]":
                        raise _JSONError("trailing comma before `]`", j)
            result = items
        elif c == '"':
            result, end = _string(i)
        else:
            m = _NUMBER(text, i)
            if m:
                end = m.end()
                try:
                    result = float(m.group()) if m.group(1) or m.group(2) else int(m.group())
                except ValueError:  # more digits than Python converts (sys.int_info)
                    raise _JSONError("number too long", i) from None
            else:
                for word, v in _LITERALS:
                    if text.startswith(word, i):
                        result, end = v, i + len(word)
                        break
                else:
                    if not c:
                        raise _JSONError("unexpected end of file: a value is missing", i)
                    raise _JSONError(f"unexpected character `{c}`: expected a value", i)
        doc.positions[path] = lines.span(file, i, end)
        return result, end

    def _string(i: int) -> tuple[str, int]:
        try:
            return json.decoder.scanstring(text, i + 1, True)
        except json.JSONDecodeError as e:
            raise _JSONError(e.msg.lower().removesuffix(" at"), e.pos) from None

    try:
        start = _WS(text, 0).end()
        if start == len(text):
            return [], []
        doc.value, end = value(start, (), 0)
        end = _WS(text, end).end()
        if end != len(text):
            raise _JSONError("extra data after the JSON value", end)
    except _JSONError as e:
        pos = min(e.pos, len(text))
        return [], diags + [Diagnostic("FC601", f"invalid JSON: {e.message}",
                                       lines.span(file, pos, min(pos + 1, len(text))))]
    return [doc], diags


# --------------------------------------------------------------------------------------- YAML
try:
    import yaml
    _YAML_LOADER = getattr(yaml, "CSafeLoader", None) or yaml.SafeLoader
    _CONSTRUCTOR = yaml.constructor.SafeConstructor()
except ImportError:  # pragma: no cover - PyYAML is a dependency
    yaml = None

_T = "tag:yaml.org,2002:"
_BOOLS = {"yes": True, "true": True, "on": True, "no": False, "false": False, "off": False}


class _YAMLRefused(Exception):
    def __init__(self, message: str, node):
        self.message, self.node = message, node


def parse_yaml(text: str, file: str) -> tuple[list[Document], list[Diagnostic]]:
    """Parse a YAML stream (one :class:`Document` per ``---`` document; empty ones skipped).

    Documents before a syntax error are kept; the error is an FC601 diagnostic.
    """
    if yaml is None:  # pragma: no cover
        return [], [Diagnostic("FC601", "cannot read YAML: PyYAML is not installed",
                               Span.whole(file), hint="pip install pyyaml")]
    docs: list[Document] = []
    diags: list[Diagnostic] = []
    deep = _too_deep(text)
    if deep is not None:
        return [], [Diagnostic("FC601", f"invalid YAML: nested more than {MAX_DEPTH} levels deep",
                               _Lines(text).span(file, deep, deep + 1))]
    try:
        for index, node in enumerate(yaml.compose_all(text, Loader=_YAML_LOADER)):
            if node is None or (isinstance(node, yaml.ScalarNode) and node.tag == _T + "null"):
                continue  # an empty document (`---` with nothing after it)
            conv = _Converter(file, index)
            try:
                conv.doc.value = conv.value(node, (), 0)
            except _YAMLRefused as e:
                diags.append(Diagnostic("FC601", f"YAML document {index + 1} refused: {e.message}",
                                        _node_span(file, e.node)))
                continue
            diags.extend(conv.diags)
            docs.append(conv.doc)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None) or getattr(e, "context_mark", None)
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        context = getattr(e, "context", None)
        message = f"invalid YAML: {problem}" + (f" ({context})" if context else "")
        if mark is not None:
            span = Span(file, mark.line + 1, mark.column + 1, mark.line + 1, mark.column + 2,
                        mark.index, mark.index + 1)
        elif hasattr(e, "position"):  # ReaderError: a character YAML does not allow
            span = _Lines(text).span(file, e.position, e.position + 1)
        else:
            span = Span.whole(file)
        tab = "\t" in text[span.start_pos:span.start_pos + 1] or "tab" in problem
        diags.append(Diagnostic("FC601", message, span,
                                hint="YAML indents with spaces, never tabs" if tab else None))
    except RecursionError:
        diags.append(Diagnostic("FC601", "invalid YAML: nested too deeply", Span.whole(file)))
    return docs, diags


_BRACKETS = re.compile(r"[\[\]{}]")
_LINE_START = re.compile(r"^([ \t]*)((?:[-?:][ \t]+)*)", re.M)
#: libyaml's composer recurses on the C stack and crashes (SIGSEGV) some 20,000 levels down,
#: so nesting is estimated before it runs: flow brackets, indentation, `- - -` on one line.
_PRESCAN_DEPTH = 2000


def _too_deep(text: str) -> int | None:
    """The offset where nesting certainly exceeds :data:`MAX_DEPTH` (an over-estimate is
    refused only beyond ``_PRESCAN_DEPTH``), or None."""
    depth = 0
    for m in _BRACKETS.finditer(text):
        depth = depth + 1 if m.group() in "[{" else max(depth - 1, 0)
        if depth > _PRESCAN_DEPTH:
            return m.start()
    for m in _LINE_START.finditer(text):
        if len(m.group(1)) + len(m.group(2)) // 2 > _PRESCAN_DEPTH:
            return m.start()
    return None


def _node_span(file: str, node) -> Span:
    s, e = node.start_mark, node.end_mark
    return Span(file, s.line + 1, s.column + 1, e.line + 1, e.column + 1, s.index, e.index)


class _Converter:
    """Composed YAML nodes → plain values and spans. Aliases are expanded within a budget."""

    def __init__(self, file: str, index: int):
        self.file = file
        self.doc = Document(file, None, index=index)
        self.diags: list[Diagnostic] = []
        self.seen: set[int] = set()
        self.active: set[int] = set()
        self.in_alias = 0
        self.budget = MAX_ALIAS_NODES

    def value(self, node, path: tuple, depth: int) -> Any:
        if depth > MAX_DEPTH:
            raise _YAMLRefused(f"nested more than {MAX_DEPTH} levels deep", node)
        nid = id(node)
        if nid in self.active:
            raise _YAMLRefused("an alias refers to a node that contains it (a cycle)", node)
        again = nid in self.seen
        self.seen.add(nid)
        self.in_alias += again
        if self.in_alias:
            self.budget -= 1
            if self.budget < 0:
                raise _YAMLRefused(f"aliases expand to more than {MAX_ALIAS_NODES} nodes "
                                   "(a \"billion laughs\" file?)", node)
        try:
            s, e = node.start_mark, node.end_mark
            self.doc.positions[path] = Span(self.file, s.line + 1, s.column + 1, e.line + 1,
                                            e.column + 1, s.index, e.index)
            if isinstance(node, yaml.ScalarNode):
                return _scalar(node)
            self.active.add(nid)
            try:
                if isinstance(node, yaml.SequenceNode):
                    return [self.value(c, path + (i,), depth + 1)
                            for i, c in enumerate(node.value)]
                return self.mapping(node, path, depth)
            finally:
                self.active.discard(nid)
        finally:
            self.in_alias -= again

    def mapping(self, node, path: tuple, depth: int) -> dict:
        out: dict = {}
        explicit: set = set()
        for knode, vnode, merged in self.pairs(node, 0):
            if not isinstance(knode, yaml.ScalarNode):
                self.diags.append(Diagnostic("FC602", "a mapping key must be a plain string",
                                             _node_span(self.file, knode)))
                continue
            key = knode.value
            if merged and key in out:
                continue  # an explicit key, or an earlier merge, wins over a merged one
            kspan = _node_span(self.file, knode)
            if key in explicit:
                first = self.doc.keys[path + (key,)]
                self.diags.append(Diagnostic(
                    "FC601", f"duplicate key `{key}` (first at line {first.line}); the last "
                    "value is used", kspan, severity=Severity.WARNING))
            if not merged:
                explicit.add(key)
            self.doc.keys[path + (key,)] = kspan
            out[key] = self.value(vnode, path + (key,), depth + 1)
        return out

    def pairs(self, node, level: int):
        """The key/value node pairs of a mapping, explicit ones first, then those of ``<<``
        merges (YAML 1.1), each flagged as merged."""
        merges = []
        for knode, vnode in node.value:
            if knode.tag == _T + "merge":
                merges.extend(vnode.value if isinstance(vnode, yaml.SequenceNode) else [vnode])
            else:
                yield knode, vnode, level > 0
        for m in merges:
            if not isinstance(m, yaml.MappingNode):
                raise _YAMLRefused("`<<` merges mappings only", m)
            if id(m) in self.active or level > MAX_DEPTH:
                raise _YAMLRefused("a `<<` merge includes itself", m)
            self.active.add(id(m))
            self.budget -= len(m.value)
            if self.budget < 0:
                raise _YAMLRefused(f"aliases expand to more than {MAX_ALIAS_NODES} nodes", m)
            try:
                yield from self.pairs(m, level + 1)
            finally:
                self.active.discard(id(m))


def _scalar(node) -> Any:
    tag = node.tag
    if tag == _T + "str":
        return node.value
    if tag == _T + "null":
        return None
    if tag == _T + "bool":
        return _BOOLS.get(node.value.lower(), node.value)
    try:
        if tag == _T + "int":
            return _CONSTRUCTOR.construct_yaml_int(node)
        if tag == _T + "float":
            return _CONSTRUCTOR.construct_yaml_float(node)
    except Exception:  # an explicit tag on text it does not fit (`!!int ""`): keep the text
        pass
    return node.value  # timestamps, binary and custom tags (`!Ref x`) stay text


# ------------------------------------------------------------------------------- typed reading
_MISSING = object()
_TYPE_NAMES = {bool: "a boolean", int: "an integer", str: "a string", list: "a list",
               dict: "a mapping", float: "a number"}


def path_text(path: Iterable) -> str:
    """``("spec", "containers", 0, "name")`` → ``spec.containers[0].name``."""
    out = ""
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out or "(document)"


def describe(value: Any) -> str:
    """A value's JSON type, and the value when it is short: ``a string ("true")``."""
    name = "null" if value is None else _TYPE_NAMES.get(type(value), type(value).__name__)
    if isinstance(value, (dict, list)):
        return name
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, float) else repr(value)
    return f"{name} ({text[:40]})"


def _is(value: Any, kind) -> bool:
    if kind is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if kind is float:  # any number
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if isinstance(kind, tuple):
        return any(_is(value, k) for k in kind)
    return isinstance(value, kind)


class Reader:
    """Typed access to one document; problems accumulate in ``diags``.

    ``null`` counts as absent, as in Kubernetes and Go's JSON decoding.
    """

    def __init__(self, doc: Document):
        self.doc = doc
        self.file = doc.file
        self.diags: list[Diagnostic] = []

    def raw(self, path: tuple) -> Any:
        v = self.doc.value
        for p in path:
            if isinstance(v, dict) and isinstance(p, str):
                v = v.get(p, _MISSING)
            elif isinstance(v, list) and isinstance(p, int) and 0 <= p < len(v):
                v = v[p]
            else:
                return _MISSING
            if v is _MISSING:
                return v
        return v

    def has(self, path: tuple) -> bool:
        return self.raw(path) not in (_MISSING, None)

    def get(self, path: tuple, kind, default: Any = None) -> Any:
        """The value at ``path`` if it has type ``kind`` (a type or a tuple of types; ``float``
        means any number); ``default`` when absent; FC602 and ``default`` when mistyped."""
        v = self.raw(path)
        if v is _MISSING or v is None:
            return default
        if _is(v, kind):
            return v
        kinds = kind if isinstance(kind, tuple) else (kind,)
        want = " or ".join(_TYPE_NAMES.get(k, str(k)) for k in kinds)
        hint = None
        if isinstance(v, str) and bool in kinds and v.lower() in ("true", "false"):
            hint = f"write {v.lower()} without quotes"
        elif isinstance(v, str) and int in kinds and v.strip().lstrip("-").isdigit():
            hint = f"write {v.strip()} without quotes"
        elif not isinstance(v, list) and list in kinds:
            hint = "write a list: `[value]` or one `- value` per line"
        self.diags.append(Diagnostic("FC602", f"`{path_text(path)}` must be {want}, not "
                                     f"{describe(v)}", self.doc.span(path), hint=hint))
        return default

    def items(self, path: tuple, kind=None) -> list[tuple[int, Any]]:
        """(index, element) of the list at ``path``; elements not of ``kind`` get FC602."""
        seq = self.get(path, list, [])
        if kind is None:
            return list(enumerate(seq))
        out = []
        for i, v in enumerate(seq):
            if v is not None and _is(v, kind):
                out.append((i, v))
            else:
                self.get(path + (i,), kind)
        return out

    def fields(self, path: tuple, known: Iterable[str], what: str) -> dict:
        """The mapping at ``path`` (``{}`` if absent or mistyped); keys outside ``known`` get an
        FC603 warning with a "did you mean" hint."""
        m = self.get(path, dict, {})
        known = known if isinstance(known, (set, frozenset, dict)) else set(known)
        for key in m:
            if key not in known:
                span = self.doc.keys.get(path + (key,)) or self.doc.span(path + (key,))
                full = f" (`{path_text(path + (key,))}`)" if path else ""
                self.diags.append(Diagnostic(
                    "FC603", f"unknown field `{key}` in {what}{full}; it is not checked", span,
                    hint=suggest(key, known), severity=Severity.WARNING))
        return m

    def require(self, path: tuple, kind, what: str) -> Any:
        """Like :meth:`get`, with FC607 at the enclosing value when the field is absent."""
        if not self.has(path):
            where = self.doc.span(path[:-1])
            self.diags.append(Diagnostic("FC607", f"{what} lacks the required field "
                                         f"`{path_text(path)}`", where))
            return None
        return self.get(path, kind)

    def span(self, path: tuple) -> Span:
        return self.doc.span(path)

    def error(self, code: str, message: str, path: tuple, hint: str | None = None,
              severity: Severity = Severity.ERROR) -> None:
        self.diags.append(Diagnostic(code, message, self.doc.span(path), hint=hint,
                                     severity=severity))
