"""Reading spec files and resolving imports.

Imports are resolved relative to the importing file (``import "x.iot"``) or in the bundled
library (``import lifecycle`` → ``specs/lifecycle.iot``), never elsewhere: spec files are data.
Parsed modules are cached per loader, so a folder of specs that share imports parses each once.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from typing import TYPE_CHECKING

from ..diagnostics import Diagnostic, Severity, Span

if TYPE_CHECKING:
    from ..syntax import ast

#: Files larger than this are refused with FC004 (change with ``max_size`` / ``--max-size``).
DEFAULT_MAX_SIZE = 16 * 1024 * 1024


def bundled_dir() -> Path | None:
    """The bundled spec library: ``specs/`` beside the package (source checkout or editable
    install) or the copy installed as ``formalc/_specs``."""
    here = Path(__file__).resolve().parent.parent
    for candidate in (here.parent / "specs", here / "_specs"):
        if candidate.is_dir():
            return candidate
    return None


def display_name(path: Path) -> str:
    try:
        rel = os.path.relpath(path)
        return rel if not rel.startswith("..") else str(path)
    except ValueError:
        return str(path)


@dataclass
class Loader:
    max_size: int = DEFAULT_MAX_SIZE
    sources: dict[str, str] = field(default_factory=dict)
    _modules: dict[Path, tuple[list[Diagnostic], ast.Module | None]] = field(default_factory=dict)

    # ---------------------------------------------------------------- one file
    def read(self, path: Path, span: Span | None = None) -> tuple[list[Diagnostic], str | None]:
        name = display_name(path)
        try:
            size = path.stat().st_size
        except OSError:
            return [Diagnostic("FC001", f"no such file: {name}", span)], None
        if path.is_dir():
            return [Diagnostic("FC001", f"{name} is a folder, not a spec file", span)], None
        if size > self.max_size:
            return [Diagnostic("FC004", f"{name} is {size / 2**20:.1f} MiB; the limit is "
                               f"{self.max_size / 2**20:g} MiB", span or Span.whole(name),
                               hint="split the spec into modules, or raise the limit with "
                                    "--max-size")], None
        try:
            data = path.read_bytes()
        except OSError as e:
            return [Diagnostic("FC001", f"cannot read {name}: {e.strerror}", span)], None
        if b"\x00" in data[:65536] or b"\x00" in data:
            return [Diagnostic("FC003", f"{name} is a binary file, not a spec", Span.whole(name),
                               hint="spec files are UTF-8 text")], None
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as e:
            before = data[:e.start]
            line = before.count(b"\n") + 1
            line_start = before.rfind(b"\n") + 1
            # columns count characters, as in every other diagnostic
            col = len(before[line_start:].decode("utf-8", errors="replace")) + 1
            return [Diagnostic("FC002", f"{name} is not valid UTF-8: byte 0x{data[e.start]:02x} "
                               f"at offset {e.start}", Span(name, line, col, line, col + 1),
                               hint="save the file as UTF-8")], None
        if text.startswith("\ufeff"):
            text = text[1:]
        self.sources[name] = text
        return [], text

    def module(self, path: Path, span: Span | None = None) -> tuple[list[Diagnostic], ast.Module | None]:
        path = path.resolve()
        if path in self._modules:
            return self._modules[path]
        diags, text = self.read(path, span)
        mod = None
        if text is not None:
            from ..syntax.parser import parse
            pdiags, mod = parse(text, display_name(path))
            diags = diags + pdiags + self._empty(mod, pdiags, display_name(path))
        self._modules[path] = (diags, mod)
        return diags, mod

    def text_module(self, text: str, name: str) -> tuple[list[Diagnostic], ast.Module]:
        if text.startswith("\ufeff"):
            text = text[1:]
        self.sources[name] = text
        from ..syntax.parser import parse
        diags, mod = parse(text, name)
        return diags + self._empty(mod, diags, name), mod

    @staticmethod
    def _empty(mod, diags, name: str) -> list[Diagnostic]:
        if mod is not None and not mod.items and not diags:
            return [Diagnostic("FC006", f"{name} declares nothing", Span.whole(name),
                               severity=Severity.WARNING)]
        return []

    # ---------------------------------------------------------------- imports
    def resolve_import(self, imp: ast.Import, base: Path | None) -> Path | None:
        if imp.is_path:
            root = base if base is not None else Path.cwd()
            return (root / imp.target).resolve()
        lib = bundled_dir()
        if lib is None:
            return None
        return (lib / (imp.target.replace(".", "/") + ".iot")).resolve()

    def closure(self, root: ast.Module, root_path: Path | None) -> tuple[list[Diagnostic], list[ast.Module]]:
        """The root module and everything it imports, each once, dependencies first."""
        diags: list[Diagnostic] = []
        order: list[ast.Module] = []
        done: set[Path | str] = set()
        stack: list[Path | str] = []

        def visit(mod: ast.Module, path: Path | None) -> None:
            key = path if path is not None else mod.file
            if key in done:
                return
            stack.append(key)
            from ..syntax import ast
            for item in mod.items:
                if not isinstance(item, ast.Import):
                    continue
                target = self.resolve_import(item, path.parent if path else None)
                if target is None or not target.is_file():
                    where = "next to the importing file" if item.is_path else "in the bundled specs/"
                    lib = bundled_dir()
                    hint = None
                    if not item.is_path and lib is not None:
                        from ..diagnostics import suggest
                        hint = suggest(item.target, [p.stem for p in lib.glob("*.iot")])
                    diags.append(Diagnostic("FC203", f"cannot find `{item.target}` {where}",
                                            item.span, hint=hint))
                    continue
                if target in stack:
                    cycle = [display_name(p) if isinstance(p, Path) else p
                             for p in stack[stack.index(target):]] + [display_name(target)]
                    diags.append(Diagnostic("FC204", "import cycle: " + " → ".join(cycle), item.span,
                                            hint="move the shared declarations into a module "
                                                 "both can import"))
                    continue
                d, sub = self.module(target, item.span)
                diags.extend(d)
                if sub is not None:
                    visit(sub, target)
            stack.pop()
            done.add(key)
            order.append(mod)

        visit(root, root_path)
        return diags, order


def collect_files(paths: list[str]) -> tuple[list[Diagnostic], list[Path]]:
    """Expand command-line paths: files as given, folders to their .iot files (recursively)."""
    diags: list[Diagnostic] = []
    files: list[Path] = []
    for p in paths:
        path = Path(p)
        if path.is_dir():
            found = sorted(x for x in path.rglob("*.iot") if x.is_file())
            if not found:
                diags.append(Diagnostic("FC005", f"{p} holds no .iot files", None,
                                        hint="name spec files with the .iot extension"))
            files.extend(found)
        elif path.exists():
            files.append(path)
        else:
            diags.append(Diagnostic("FC001", f"no such file or folder: {p}", None))
    return diags, files
