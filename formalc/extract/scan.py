"""Scanning a Markdown + LaTeX document: headings, labelled blocks and display formulas.

The scanner reads the document line by line with a small state machine (normal text, fenced
code, HTML comment, raw HTML block, display formula). It never raises: whatever the input,
it returns the blocks it found and the problems it met.

What counts as what:

- a **heading** is an ATX heading (``## 3.1 容器生命周期``) or a setext heading (text
  underlined by ``===`` / ``---``);
- a **labelled block** starts at a line beginning with a bold label ``**定义 3.1** (标题)``,
  ``**定义 3.1**（标题）``, ``**Definition 3.1** (Title)``, ``**Definition 3.1 (Title).**``,
  with 定理/Theorem, 引理/Lemma, 命题/Proposition, 推论/Corollary (theorems) and
  公理/Axiom (definitions); it ends at the next block or heading;
- a **display formula** is ``$$ … $$`` (on one line or spread over several), ``\\[ … \\]``, or a
  ``\\begin{equation}`` (``align``, ``gather``, ``multline``, starred or not) environment.
  Dollars inside fenced code (```` ``` ```` / ``~~~``), inline code, HTML comments and raw
  HTML blocks (``<pre>``, ``<script>``, ``<style>``, ``<textarea>``) are not formulas; an escaped
  ``\\$`` is not a delimiter. A formula cannot contain a blank line (TeX refuses a paragraph
  break in math), a heading, a labelled block or a code fence: meeting one before the closing
  delimiter makes it *unclosed* — a problem at the opening line, scanning resumes after it.

>>> r = scan("## 3 模型\\n**定义 3.1** (生命周期)\\n$$L = (S, E)$$\\n")
>>> [(b.number, b.title, b.section, b.formulas[0].latex) for b in r.blocks]
[('3.1', '生命周期', '3 模型', 'L = (S, E)')]
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

#: Label word → block kind.
LABELS = {
    "定义": "definition", "definition": "definition", "def.": "definition",
    "公理": "definition", "axiom": "definition",
    "定理": "theorem", "theorem": "theorem", "命题": "theorem", "proposition": "theorem",
    "推论": "theorem", "corollary": "theorem",
    "引理": "lemma", "lemma": "lemma",
}

_LABEL = re.compile(
    r"^[ \t]{0,3}(?:>[ \t]?)*(?:(?:[-*+]|\d+[.)])[ \t]+)?"        # blockquote / list marker
    r"\*\*[ \t]*(?P<kw>定义|公理|定理|命题|推论|引理|Definition|Def\.|Axiom|Theorem|"
    r"Proposition|Corollary|Lemma)[ \t]*(?P<num>\d+(?:\.\d+)*)[ \t]*"
    r"(?P<inner>[(（][^*]*?[)）])?[ \t]*[.:：。]?[ \t]*\*\*(?P<rest>.*)$", re.IGNORECASE)
_ATX = re.compile(r"^[ \t]{0,3}(#{1,6})(?:[ \t]+(.*?))?[ \t]*#*[ \t]*$")
_SETEXT = re.compile(r"^[ \t]{0,3}(=+|-+)[ \t]*$")
_FENCE = re.compile(r"^[ \t]{0,3}(`{3,}|~{3,})(.*)$")
_RAW_HTML = re.compile(r"^[ \t]{0,3}<(pre|script|style|textarea)(?=[\s>]|$)", re.IGNORECASE)
_ENVS = r"(?:equation|align|gather|multline|displaymath|eqnarray|flalign|alignat)\*?"
# An opening delimiter of a display formula (on a line whose code/comments are masked).
_OPEN = re.compile(r"(?<!\\)\$\$|\\\[|\\begin\{(" + _ENVS + r")\}")
_INLINE_CODE = re.compile(r"(`+)(.+?)(?<!`)\1(?!`)")


@dataclass
class RawFormula:
    """A display formula as found: the 1-based line of its opening delimiter, its source, and
    ``error`` when it was never closed."""
    line: int
    latex: str
    error: str | None = None
    content_line: int = 0      # where the (stripped) source starts: 1-based line …
    content_col: int = 0       # … and 0-based column in the document


@dataclass
class Block:
    """A labelled block (number None and kind "formula" for a formula outside any block)."""
    number: str | None
    kind: str
    title: str
    section: str
    line: int
    formulas: list[RawFormula] = field(default_factory=list)


@dataclass
class ScanResult:
    """The blocks in document order and the problems ``(line, message)``."""
    blocks: list[Block]
    problems: list[tuple[int, str]]


def _mask(text: str, start: int, end: int) -> str:
    return text[:start] + " " * (end - start) + text[end:]


def _title(rest: str) -> str:
    """The parenthesised title at the start of ``rest`` (balanced, ASCII or full-width)."""
    rest = rest.lstrip()
    if not rest or rest[0] not in "(（":
        return ""
    depth = 0
    for i, ch in enumerate(rest):
        if ch in "(（":
            depth += 1
        elif ch in ")）":
            depth -= 1
            if depth == 0:
                return rest[1:i].strip()
    return rest[1:].strip()


def label_of(line: str) -> tuple[str, str | None, str] | None:
    """``(kind, number, title)`` when ``line`` opens a labelled block, else None.

    >>> label_of("**定义 3.1**（容器生命周期）")
    ('definition', '3.1', '容器生命周期')
    >>> label_of("**Theorem 2 (Safety).** Every run …")
    ('theorem', '2', 'Safety')
    """
    m = _LABEL.match(line)
    if m is None:
        return None
    kind = LABELS[m["kw"].lower()]
    title = _title(m["inner"]) if m["inner"] else _title(m["rest"])
    return kind, m["num"], title


def heading_of(line: str) -> str | None:
    """The text of an ATX heading, else None."""
    m = _ATX.match(line)
    if m is None:
        return None
    return (m[2] or "").strip()


class _Scanner:
    def __init__(self, text: str) -> None:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        self.lines = text.split("\n")
        self.blocks: list[Block] = []
        self.problems: list[tuple[int, str]] = []
        self.section = ""
        self.current: Block | None = None

    # -- blocks ------------------------------------------------------------------------
    def _add_formula(self, f: RawFormula) -> None:
        if self.current is None:
            self.blocks.append(Block(None, "formula", "", self.section, f.line, [f]))
        else:
            self.current.formulas.append(f)

    def _heading(self, text: str) -> None:
        self.section = text
        self.current = None

    # -- per line ----------------------------------------------------------------------
    def _stops_math(self, line: str) -> str | None:
        """Why a line cannot be inside a display formula (None when it can)."""
        if not line.strip():
            return "a blank line"
        if _FENCE.match(line):
            return "a code fence"
        if _ATX.match(line) and line.lstrip().startswith("#"):
            return "a heading"
        if _LABEL.match(line):
            return "a new labelled block"
        return None

    def _visible(self, line: str, in_comment: bool) -> tuple[str, bool]:
        """``line`` with inline code and HTML comments blanked out, and whether an HTML
        comment is still open at its end."""
        out = line
        pos = 0
        if in_comment:
            end = out.find("-->")
            if end < 0:
                return " " * len(out), True
            out = _mask(out, 0, end + 3)
            pos = end + 3
        while True:
            start = out.find("<!--", pos)
            if start < 0:
                break
            end = out.find("-->", start + 4)
            if end < 0:
                return _mask(out, start, len(out)), True
            out = _mask(out, start, end + 3)
            pos = end + 3
        for m in _INLINE_CODE.finditer(out):
            out = _mask(out, m.start(), m.end())
        return out, False

    def run(self) -> ScanResult:
        lines = self.lines
        n = len(lines)
        i = 0
        fence: tuple[str, int] | None = None
        raw_tag: str | None = None
        in_comment = False
        prev_text = False          # the previous line is paragraph text (for setext headings)
        while i < n:
            line = lines[i]
            if fence is not None:
                m = _FENCE.match(line)
                if m and m[1][0] == fence[0] and len(m[1]) >= fence[1] and not m[2].strip():
                    fence = None
                i += 1
                continue
            if raw_tag is not None:
                if f"</{raw_tag}" in line.lower():
                    raw_tag = None
                i += 1
                continue
            if not in_comment:
                m = _FENCE.match(line)
                if m and not (m[1][0] == "`" and "`" in m[2]):
                    fence = (m[1][0], len(m[1]))
                    prev_text = False
                    i += 1
                    continue
                m = _RAW_HTML.match(line)
                if m:
                    tag = m[1].lower()
                    if f"</{tag}" not in line.lower():
                        raw_tag = tag
                    prev_text = False
                    i += 1
                    continue
                h = heading_of(line)
                if h is not None and line.lstrip().startswith("#"):
                    self._heading(h)
                    prev_text = False
                    i += 1
                    continue
                if prev_text and _SETEXT.match(line):
                    self._heading(lines[i - 1].strip())
                    prev_text = False
                    i += 1
                    continue
                lab = label_of(line)
                if lab is not None:
                    kind, number, title = lab
                    self.current = Block(number, kind, title, self.section, i + 1)
                    self.blocks.append(self.current)
            visible, in_comment_after = self._visible(line, in_comment)
            nxt = self._formulas(i, visible)
            # A formula spanning lines was opened outside any comment; a comment opened after
            # it closes on a later line is not tracked (the comment's text is then scanned).
            in_comment = in_comment_after if nxt == i + 1 else False
            prev_text = bool(line.strip()) and not in_comment and "$$" not in line
            i = nxt
        return ScanResult(self.blocks, self.problems)

    def _formulas(self, i: int, visible: str) -> int:
        """Find the display formulas starting on line ``i`` (whose visible text is
        ``visible``); return the index of the next line to read."""
        lines = self.lines
        col = 0
        text = visible
        while True:
            m = _OPEN.search(text, col)
            if m is None:
                return i + 1
            start_line = i
            if m[0] == "$$":
                close = re.compile(r"(?<!\\)\$\$")
                delim = "$$"
            elif m[0] == "\\[":
                close = re.compile(r"\\\]")
                delim = "\\["
            else:
                close = re.compile(r"\\end\{" + re.escape(m[1]) + r"\}")
                delim = m[0]
            parts: list[str] = []
            j = i
            pos = m.end()
            seg = text
            while True:
                c = close.search(seg, pos)
                if c is not None:
                    parts.append(seg[pos:c.start()])
                    self._add_formula(_raw(start_line, m.end(), parts))
                    i = j
                    text, col = seg, c.end()
                    break
                parts.append(seg[pos:])
                j += 1
                why = None
                if j >= len(lines) or (j == len(lines) - 1 and not lines[j]):
                    why = "the end of the document"
                else:
                    stop = self._stops_math(lines[j])
                    if stop is not None:
                        why = f"{stop} on line {j + 1}"
                if why is not None:
                    closer = {"$$": "$$", "\\[": "\\]"}.get(delim, "\\end{…}")
                    msg = (f"`{delim}` opened here is never closed (no `{closer}` before "
                           f"{why})")
                    self.problems.append((start_line + 1, msg))
                    self._add_formula(_raw(start_line, m.end(), parts, msg))
                    # Resume on the line after the opener: the rest of the document is read
                    # as if the stray delimiter were not there.
                    return start_line + 1
                seg, pos = lines[j], 0


def _raw(line: int, col: int, parts: list[str], error: str | None = None) -> RawFormula:
    """The formula whose source (``parts``, one per line) starts at 0-based ``line``, ``col``."""
    joined = "\n".join(parts)
    latex = joined.strip()
    lead = joined[:len(joined) - len(joined.lstrip())]
    nl = lead.count("\n")
    start_col = col + len(lead) if nl == 0 else len(lead) - lead.rfind("\n") - 1
    return RawFormula(line + 1, latex, error, line + 1 + nl, start_col)


def scan(text: str) -> ScanResult:
    """Scan a Markdown document for labelled blocks and display formulas. Never raises."""
    return _Scanner(text).run()
