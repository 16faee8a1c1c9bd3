"""Tokens of LaTeX mathematics, for the grammar in ``latex.lark``.

TeX macros are many and the grammar only needs a few kinds of tokens, so the lexer decides
what each macro is from the tables below: an operator (``\\land`` → ``OP ∧``), a quantifier, a
big operator (``\\sum``, ``\\min``), a letter (``\\delta`` → ``NAME δ``), a bracket, or nothing at
all (spacing such as ``\\,`` and ``\\quad``, sizing such as ``\\left``, fonts such as
``\\mathcal`` whose argument stays). A macro in none of the tables is an error that names it.

Following TeX, a sub- or superscript without braces is one character (``x_ij`` is ``x_i j``).
Unicode operators (``∧ → ∈ ×``) are the same tokens as their macros.

>>> [(t.type, t.value) for t in tokenize(r"\\mathcal{C}_{IoT} \\land x")]
[('LBRACE', '{'), ('NAME', 'C'), ('RBRACE', '}'), ('SUB', '_'), ('LBRACE', '{'), ('NAME', 'IoT'), ('RBRACE', '}'), ('OP', '∧'), ('NAME', 'x')]
"""
from __future__ import annotations

import re
from dataclasses import dataclass


class LatexError(Exception):
    """A formula the lexer or parser refuses; ``pos`` is an offset into the formula."""

    def __init__(self, message: str, pos: int) -> None:
        super().__init__(message)
        self.message = message
        self.pos = pos


@dataclass(frozen=True)
class Tok:
    """A token: its grammar terminal, its canonical value and its offset in the formula."""
    type: str
    value: str
    pos: int
    end: int


_GREEK = ["alpha", "beta", "gamma", "delta", "epsilon", "varepsilon", "zeta", "eta", "theta", "vartheta", "iota", "kappa", "lambda", "mu", "nu", "xi", "pi", "varpi", "rho", "varrho", "sigma", "varsigma", "tau", "upsilon", "phi", "varphi", "chi", "psi", "omega", "Gamma", "Delta", "Theta", "Lambda", "Xi", "Pi", "Sigma", "Upsilon", "Phi", "Psi", "Omega"]
_GREEK_CHARS = ("αβγδεεζηθϑικλμνξπϖρϱσςτυφφχψω" "ΓΔΘΛΞΠΣΥΦΨΩ")
#: Letters: ``\\delta`` is the name ``δ``.
LETTERS = dict(zip(_GREEK, _GREEK_CHARS))
LETTERS.update({"ell": "ℓ", "hbar": "ℏ", "partial": "∂", "nabla": "∇", "aleph": "ℵ"})

_OPS = {
    "=": "=", "<": "<", ">": ">", "+": "+", "*": "×", "/": "/", ":=": "≜", "!=": "≠",
    "<=": "≤", ">=": "≥", "->": "→", "=>": "⇒", "<=>": "⇔", "<->": "⇔",
    "ne": "≠", "neq": "≠", "le": "≤", "leq": "≤", "leqslant": "≤", "ge": "≥", "geq": "≥",
    "geqslant": "≥", "lt": "<", "gt": ">", "ll": "≪", "gg": "≫",
    "in": "∈", "notin": "∉", "ni": "∋", "subseteq": "⊆", "subset": "⊂", "subseteqq": "⊆",
    "supseteq": "⊇", "supset": "⊃", "cup": "∪", "cap": "∩", "setminus": "\\",
    "backslash": "\\", "smallsetminus": "\\",
    "times": "×", "cdot": "·", "ast": "×", "div": "/", "circ": "∘", "oplus": "⊕",
    "otimes": "⊗", "pm": "±", "mp": "∓",
    "land": "∧", "wedge": "∧", "lor": "∨", "vee": "∨",
    "Rightarrow": "⇒", "implies": "⇒", "Longrightarrow": "⇒", "Leftarrow": "⇐",
    "Leftrightarrow": "⇔", "iff": "⇔", "Longleftrightarrow": "⇔",
    "rightarrow": "→", "to": "→", "longrightarrow": "→", "mapsto": "↦", "longmapsto": "↦",
    "leftarrow": "←", "gets": "←", "leftrightarrow": "↔", "hookrightarrow": "→",
    "rightharpoonup": "⇀",
    "equiv": "≡", "approx": "≈", "sim": "∼", "simeq": "≃", "cong": "≅", "propto": "∝",
    "triangleq": "≜", "coloneqq": "≜", "coloneq": "≜", "doteq": "≜", "defeq": "≜",
    "models": "⊨", "vDash": "⊨", "vdash": "⊢", "perp": "⊥", "parallel": "∥",
    "prec": "≺", "preceq": "⪯", "succ": "≻", "succeq": "⪰", "sqsubseteq": "⊑",
    "mid": "|", "vert": None, "bmod": "mod", "mod": "mod", "ominus": "⊖",
}
# Unicode operators written directly in the formula.
_UNI_OPS = {c: c for c in "/=<>+×·∘⊕⊗±∧∨⇒⇔→↦←↔≡≈∼∝≜⊨⊢∈∉∋⊆⊂⊇⊃∪∩≠≤≥≪≫∥≺≻⊑"}
_UNI_OPS.update({"∖": "\\", "⟹": "⇒", "⟺": "⇔", "−": "-", "∗": "×", "⋅": "·", "≔": "≜",
                 "⟶": "→", "↪": "→"})

_PREFIX = {"neg": "¬", "lnot": "¬", "¬": "¬"}
_QUANT = {"forall": "∀", "exists": "∃", "nexists": "∄", "∀": "∀", "∃": "∃", "∄": "∄"}
_BIGOPS = {"sum": "Σ", "prod": "Π", "bigcup": "⋃", "bigcap": "⋂", "bigwedge": "⋀",
           "bigvee": "⋁", "min": "min", "max": "max", "sup": "sup", "inf": "inf", "lim": "lim",
           "argmin": "argmin", "argmax": "argmax", "int": "∫", "iint": "∫", "oint": "∫",
           "limsup": "sup", "liminf": "inf", "bigoplus": "⊕", "coprod": "∐",
           "∑": "Σ", "Σ": "Σ", "∏": "Π", "⋃": "⋃", "⋂": "⋂", "∫": "∫"}
#: Function names of TeX (``\\log x``): names like any other.
_FUNCS = {"log", "ln", "exp", "sin", "cos", "tan", "det", "dim", "ker", "deg", "gcd", "lcm",
          "Pr", "hom", "arg", "sgn", "card", "dom", "ran", "rank", "tr", "id", "Im", "Re"}
#: Atoms with a fixed meaning.
_ATOMS = {"emptyset": ("EMPTY", "∅"), "varnothing": ("EMPTY", "∅"), "∅": ("EMPTY", "∅"),
          "infty": ("NAME", "∞"), "top": ("BOOL", "⊤"), "bot": ("BOOL", "⊥"),
          "ldots": ("DOTS", "…"), "cdots": ("DOTS", "…"), "dots": ("DOTS", "…"),
          "dotsc": ("DOTS", "…"), "dotsb": ("DOTS", "…"), "vdots": ("DOTS", "…"),
          "…": ("DOTS", "…"), "⋯": ("DOTS", "…"), "top_": ("BOOL", "⊤"),
          "checkmark": ("NAME", "✓"), "star": ("NAME", "⋆"), "prime": ("PRIME", "'")}
#: Brackets given by macros.
_BRACKETS = {"{": ("LSET", "\\{"), "}": ("RSET", "\\}"), "lbrace": ("LSET", "\\{"),
             "rbrace": ("RSET", "\\}"), "langle": ("LANGLE", "⟨"), "rangle": ("RANGLE", "⟩"),
             "lvert": ("BAR", "|"), "rvert": ("BAR", "|"), "vert": ("BAR", "|"),
             "|": ("DBAR", "‖"), "lVert": ("DBAR", "‖"), "rVert": ("DBAR", "‖"),
             "Vert": ("DBAR", "‖"), "lfloor": ("LFLOOR", "⌊"), "rfloor": ("RFLOOR", "⌋"),
             "lceil": ("LCEIL", "⌈"), "rceil": ("RCEIL", "⌉"), "lbrack": ("LSQB", "["),
             "rbrack": ("RSQB", "]")}
#: Macros that only change how the formula looks: dropped, their argument (if any) stays.
_DROP = {"left", "right", "middle", "big", "Big", "bigg", "Bigg", "bigl", "bigr", "Bigl",
         "Bigr", "biggl", "biggr", "Biggl", "Biggr", "bigm", "Bigm", "quad", "qquad",
         "displaystyle", "textstyle", "scriptstyle", "limits", "nolimits", "nonumber", "notag",
         "enspace", "thinspace", "medspace", "thickspace", "negthinspace", "mathcal",
         "mathscr", "mathfrak", "mathbf", "mathrm", "mathit", "mathsf", "mathtt", "boldsymbol",
         "bm", "pmb", "mathnormal", "cal", "rm", "bf", "it", "noindent", "relax", "hfill",
         "allowbreak", "mathop", "mathrel", "mathbin", "mathord", "underbrace", "overbrace",
         "underline", "smash", "colorbox",
         "scriptscriptstyle"}
#: Macros whose braced argument is dropped with them.
_DROP_ARG = {"label", "tag", "hspace", "vspace", "color", "eqref", "ref", "hspace*", "tag*",
             "phantom", "vphantom", "hphantom"}
#: Decorations: ``\\hat{x}`` is the name ``x_hat``.
_DECOR = {"hat", "widehat", "bar", "overline", "tilde", "widetilde", "vec", "dot", "ddot",
          "check", "breve", "acute", "grave", "mathring", "overrightarrow"}
#: Macros whose braced argument is text: ``\\text{…}`` is one TEXT token.
_TEXT = {"text", "textrm", "textit", "textbf", "textsf", "texttt", "mbox", "mathrm*",
         "operatorname", "operatorname*", "textnormal", "emph", "hbox"}
_FRAC = {"frac", "dfrac", "tfrac", "cfrac", "over"}
#: Environments whose begin/end are dropped (their rows become statements).
_ENV_DROP = {"aligned", "align", "align*", "gathered", "gather", "gather*", "split",
             "equation", "equation*", "alignedat", "multline", "multline*", "flalign",
             "flalign*", "eqnarray", "eqnarray*", "array", "matrix", "pmatrix", "bmatrix",
             "smallmatrix", "subarray", "displaymath"}
_BB = {"R": "ℝ", "N": "ℕ", "Z": "ℤ", "Q": "ℚ", "C": "ℂ", "B": "𝔹", "P": "ℙ", "E": "𝔼",
       "F": "𝔽"}

_TOKEN = re.compile(r"""
    (?P<ws>\s+|~)
  | (?P<cmd>\\(?:[A-Za-z]+\*?|.))
  | (?P<num>\d+(?:\.\d+)?)
  | (?P<name>[^\W\d_](?:[^\W_]|\\_)*)
  | (?P<op3><=>|<->)
  | (?P<op2>:=|!=|<=|>=|->|=>)
  | (?P<ch>.)
""", re.VERBOSE | re.DOTALL)

_ARG_OP = re.compile(r"\s*\\(min|max)(?![A-Za-z])")
_PUNCT = {"(": "LPAR", ")": "RPAR", "[": "LSQB", "]": "RSQB", "{": "LBRACE", "}": "RBRACE",
          ",": "COMMA", ";": "SEMI", ":": "COLON", "|": "BAR", "_": "SUB", "^": "SUP",
          "'": "PRIME", "-": "MINUS", "&": "AMP", "!": "BANG", ".": "DOT", "⟨": "LANGLE",
          "⟩": "RANGLE", "‖": "DBAR", "⌊": "LFLOOR", "⌋": "RFLOOR", "⌈": "LCEIL",
          "⌉": "RCEIL", "∣": "OP"}


def _braced(text: str, pos: int) -> tuple[str, int] | None:
    """The content of the braced group at ``pos`` (after spaces) and the offset after it."""
    i = pos
    while i < len(text) and text[i] in " \t\n":
        i += 1
    if i >= len(text) or text[i] != "{":
        return None
    depth = 0
    for j in range(i, len(text)):
        c = text[j]
        if c == "\\":
            continue
        if c == "{" and text[j - 1:j] != "\\":
            depth += 1
        elif c == "}" and text[j - 1:j] != "\\":
            depth -= 1
            if depth == 0:
                return text[i + 1:j], j + 1
    return None


def tokenize(text: str) -> list[Tok]:
    """The tokens of formula ``text``; raises :class:`LatexError` on an unknown macro."""
    out: list[Tok] = []
    add = out.append
    pos = 0
    n = len(text)
    script = False          # the previous token is _ or ^: an unbraced script is one character
    while pos < n:
        if script:
            script = False
            while pos < n and text[pos] in " \t\n":
                pos += 1
            if pos < n and text[pos] not in "{\\":
                c = text[pos]
                kind = "NUMBER" if c.isdigit() else ("NAME" if c.isalpha() else None)
                if kind is not None:
                    add(Tok(kind, c, pos, pos + 1))
                    pos += 1
                    continue
        m = _TOKEN.match(text, pos)
        if m is None:  # pragma: no cover - the last alternative matches any character
            raise LatexError("unreadable character", pos)
        kind = m.lastgroup
        start, pos = m.start(), m.end()
        value = m.group()
        if kind == "ws":
            continue
        if kind == "num":
            add(Tok("NUMBER", value, start, pos))
        elif kind == "name":
            if value == "Σ":
                add(Tok("BIGOP", "Σ", start, pos))
            else:
                add(Tok("NAME", value.replace("\\_", "_"), start, pos))
        elif kind in ("op2", "op3"):
            add(Tok("OP", _OPS[value], start, pos))
        elif kind == "ch":
            pos = _char(text, value, start, pos, add)
            if value in "_^":
                script = True
        else:
            pos = _macro(text, value[1:], start, pos, add)
    return _cells(out)


def _cells(toks: list[Tok]) -> list[Tok]:
    """Alignment marks ``&`` separate the columns of ``cases``; elsewhere (``aligned``)
    they only align, and are dropped."""
    if not any(t.type == "AMP" for t in toks):
        return toks
    out = []
    depth = 0
    for t in toks:
        if t.type == "BEGIN_CASES":
            depth += 1
        elif t.type == "END_CASES":
            depth = max(0, depth - 1)
        elif t.type == "AMP" and depth == 0:
            continue
        out.append(t)
    return out


def _char(text: str, c: str, start: int, pos: int, add) -> int:
    if c in _PUNCT:
        kind = _PUNCT[c]
        if kind == "OP":
            add(Tok("OP", "|", start, pos))
        else:
            add(Tok(kind, c, start, pos))
    elif c in _UNI_OPS:
        add(Tok("OP", _UNI_OPS[c], start, pos))
    elif c in _QUANT:
        add(Tok("QUANT", _QUANT[c], start, pos))
    elif c in _PREFIX:
        add(Tok("NOT", "¬", start, pos))
    elif c in _BIGOPS:
        add(Tok("BIGOP", _BIGOPS[c], start, pos))
    elif c in _ATOMS:
        kind, v = _ATOMS[c]
        add(Tok(kind, v, start, pos))
    elif c in "*":
        add(Tok("OP", "×", start, pos))
    elif c == "$":
        raise LatexError("a `$` inside a display formula", start)
    elif c == "#" or c == "%":
        raise LatexError(f"unexpected `{c}`", start)
    else:
        raise LatexError(f"unexpected character `{c}`", start)
    return pos


def _macro(text: str, name: str, start: int, pos: int, add) -> int:
    """Emit the tokens of macro ``\\name`` (ending at ``pos``); return the next offset."""
    if name in ("{", "}", "|") or name in _BRACKETS:
        kind, v = _BRACKETS[name]
        add(Tok(kind, v, start, pos))
    elif name == "_":
        add(Tok("NAME", "_", start, pos))
    elif name in (",", ";", ":", "!", " ", ">", "/", "\n", "\t"):
        pass
    elif name == "\\":
        add(Tok("ROWSEP", "\\\\", start, pos))
    elif name in ("#", "%", "&", "$"):
        add(Tok("NAME", name, start, pos))
    elif name in _DROP:
        if name in ("left", "right", "middle") or name.startswith(("big", "Big")):
            # `\left.` and `\right.` are invisible delimiters.
            rest = text[pos:].lstrip()
            if rest.startswith("."):
                return text.index(".", pos) + 1
    elif name in _DROP_ARG:
        g = _braced(text, pos)
        if g is not None:
            return g[1]
    elif name in _OPS and _OPS[name] is not None:
        add(Tok("OP", _OPS[name], start, pos))
    elif name in _PREFIX:
        add(Tok("NOT", "¬", start, pos))
    elif name in _QUANT:
        add(Tok("QUANT", _QUANT[name], start, pos))
    elif name in _BIGOPS:
        add(Tok("BIGOP", _BIGOPS[name], start, pos))
    elif name in LETTERS:
        add(Tok("NAME", LETTERS[name], start, pos))
    elif name == "arg" and _ARG_OP.match(text, pos):
        m = _ARG_OP.match(text, pos)
        add(Tok("BIGOP", "arg" + m[1], start, m.end()))
        return m.end()
    elif name in _FUNCS:
        add(Tok("NAME", name, start, pos))
    elif name in _ATOMS:
        kind, v = _ATOMS[name]
        add(Tok(kind, v, start, pos))
    elif name == "not":
        # `\not\in`, `\not=`: the negated relation.
        m = re.compile(r"\s*(\\in(?![A-Za-z])|=|\\subseteq(?![A-Za-z])|\\equiv(?![A-Za-z]))").match(text, pos)
        if m is None:
            raise LatexError("`\\not` must precede `\\in`, `=`, `\\subseteq` or `\\equiv`", start)
        neg = {"\\in": "∉", "=": "≠", "\\subseteq": "⊈", "\\equiv": "≢"}[m[1]]
        add(Tok("OP", neg, start, m.end()))
        return m.end()
    elif name in ("stackrel", "overset", "underset"):
        over = _braced(text, pos)
        under = _braced(text, over[1]) if over else None
        if over is None or under is None:
            raise LatexError(f"`\\{name}` needs two braced arguments", start)
        if under[0].strip() in ("=", "\\equiv", ":="):
            add(Tok("OP", "≜", start, under[1]))
            return under[1]
        inner = under[0].strip()
        inner_ops = {"\\rightarrow": "→", "\\to": "→", "\\longrightarrow": "→",
                     "\\Rightarrow": "⇒", "\\sim": "∼", "\\approx": "≈"}
        if inner in inner_ops:
            add(Tok("OP", inner_ops[inner], start, under[1]))
            return under[1]
        raise LatexError(f"`\\{name}` over `{inner}` is not supported", start)
    elif name == "mathbb" or name == "mathbbm" or name == "Bbb":
        g = _braced(text, pos)
        if g is not None and g[0].strip() in _BB:
            add(Tok("NAME", _BB[g[0].strip()], start, g[1]))
            return g[1]
        if g is None and pos < len(text) and text[pos] in _BB:
            add(Tok("NAME", _BB[text[pos]], start, pos + 1))
            return pos + 1
    elif name in _TEXT:
        g = _braced(text, pos)
        if g is None:
            raise LatexError(f"`\\{name}` needs a braced argument", start)
        content = g[0]
        if name.startswith("operatorname"):
            word = re.sub(r"\\[,;: !]|\s", "", content)
            if word in ("argmin", "argmax", "arg\\min", "arg\\max", "min", "max"):
                add(Tok("BIGOP", word.replace("\\", ""), start, g[1]))
                return g[1]
        add(Tok("TEXT", content, start, g[1]))
        return g[1]
    elif name in _FRAC:
        if name == "over":
            raise LatexError("`\\over` is not supported: write `\\frac{a}{b}`", start)
        add(Tok("FRAC", "frac", start, pos))
    elif name == "binom" or name == "dbinom" or name == "tbinom":
        add(Tok("FRAC", "binom", start, pos))
    elif name == "sqrt":
        add(Tok("SQRT", "sqrt", start, pos))
    elif name in _DECOR:
        add(Tok("DECOR", name.replace("wide", "").replace("overline", "bar")
                .replace("overrightarrow", "vec"), start, pos))
    elif name in ("begin", "end"):
        g = _braced(text, pos)
        if g is None:
            raise LatexError(f"`\\{name}` needs an environment name", start)
        env = g[0].strip()
        after = g[1]
        if env == "cases" or env == "dcases":
            add(Tok("BEGIN_CASES" if name == "begin" else "END_CASES", env, start, after))
        elif env in _ENV_DROP:
            if name == "begin" and env in ("array", "alignedat", "subarray"):
                arg = _braced(text, after)   # the column specification
                if arg is not None:
                    after = arg[1]
        else:
            raise LatexError(f"unknown environment `{env}`", start)
        return after
    else:
        raise LatexError(f"unknown macro `\\{name}`", start)
    return pos
