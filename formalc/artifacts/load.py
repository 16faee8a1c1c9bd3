"""Read configuration files, tell what they are, and import them.

>>> arts, diags = load_text('{"ociVersion": "1.0.2", "root": {"path": "rootfs"}}', "web/config.json")
>>> [(a.kind, a.name) for a in arts], diags
([('oci', 'web')], [])

What a document is, decided from its top-level keys:

- ``kind`` or ``apiVersion`` → a Kubernetes object (workloads become ``pod`` artifacts, other
  kinds are skipped with an FC608 note);
- ``ociVersion``, or ``process`` with ``root``/``linux`` → an OCI runtime config (``oci``);
- ``defaultAction`` → a seccomp profile, handed to
  ``formalc.artifacts.seccomp.load_seccomp(text, file)`` (one profile per file);
- anything else → FC608.

Neither function raises on bad input: every problem is a diagnostic.
"""
from __future__ import annotations

import importlib
import os
from pathlib import Path

from . import Artifact
from ..diagnostics import Diagnostic, Severity, Span
from .positions import Document, parse_text

#: Files larger than this are refused with FC004.
DEFAULT_MAX_SIZE = 16 * 1024 * 1024
#: File names a folder is searched for.
SUFFIXES = (".json", ".yaml", ".yml", ".apparmor")

_WHAT = ("formalc imports OCI runtime configs (config.json), seccomp profiles and Kubernetes "
         "workloads (Pod, Deployment, DaemonSet, StatefulSet, ReplicaSet, Job, CronJob)")


def load_artifacts(path: str | os.PathLike, sources: dict[str, str] | None = None,
                   max_size: int = DEFAULT_MAX_SIZE) -> tuple[list[Artifact], list[Diagnostic]]:
    """Import the file at ``path`` (or every ``*.json``/``*.yaml``/``*.yml`` file below a
    folder, in sorted order).

    Returns the artifacts and *every* diagnostic: those about the files as a whole and, in the
    same list, each artifact's own (``artifact.diagnostics`` is the part about that artifact).
    ``sources``, when given, receives the text of each file read (to render diagnostics).
    """
    p = Path(path)
    name = _display(p)
    if p.is_dir():
        files = sorted(f for f in p.rglob("*") if f.suffix.lower() in SUFFIXES and f.is_file())
        if not files:
            return [], [Diagnostic("FC608", f"{name} holds no .json, .yaml, .yml or .apparmor files",
                                   None, hint=_WHAT)]
        arts, diags = [], []
        for f in files:
            a, d = load_artifacts(f, sources, max_size)
            arts += a
            diags += d
        return arts, diags
    diags, text = _read(p, name, max_size)
    if text is None:
        return [], diags
    if sources is not None:
        sources[name] = text
    return load_text(text, name)


def load_text(text: str, file: str) -> tuple[list[Artifact], list[Diagnostic]]:
    """Import the artifacts of one file's text (``file`` names it in spans, and its suffix
    ``.json`` makes the parser strict JSON)."""
    try:
        return _load_text(text, file)
    except Exception as e:  # the promise is "never a traceback": a bug becomes a diagnostic
        return [], [Diagnostic("FC608", f"{file} could not be imported: internal error "
                               f"{type(e).__name__}: {e}", Span.whole(file),
                               hint="please report this as a formalc bug")]


def _load_text(text: str, file: str) -> tuple[list[Artifact], list[Diagnostic]]:
    if "\x00" in text:
        return [], [Diagnostic("FC003", f"{file} is a binary file, not a configuration file",
                               Span.whole(file))]
    from .apparmor import load_apparmor, looks_like_apparmor
    if not file.lower().endswith((".json", ".yaml", ".yml")) and looks_like_apparmor(text):
        art = load_apparmor(text, file)
        return [art], list(art.diagnostics)
    docs, diags = parse_text(text, file)
    if not docs and not any(d.is_error for d in diags):
        return [], diags + [Diagnostic("FC608", f"{file} is empty: nothing to import",
                                       Span.whole(file), severity=Severity.WARNING)]
    arts: list[Artifact] = []
    for doc in docs:
        a, d = _dispatch(doc, text, file, len(docs))
        arts += a
        diags += d
    return arts, list(dict.fromkeys(diags))


def _dispatch(doc: Document, text: str, file: str, count: int) -> tuple[list[Artifact], list[Diagnostic]]:
    v = doc.value
    where = doc.span(())
    if not isinstance(v, dict):
        what = "a list" if isinstance(v, list) else "a single value"
        return [], [Diagnostic("FC608", f"the document is {what}, not an object formalc can "
                               "import", where, hint=_WHAT)]
    if "kind" in v or "apiVersion" in v:
        from .k8s import import_k8s
        return import_k8s(doc, file)
    if "ociVersion" in v or ("process" in v and ("root" in v or "linux" in v)):
        from .oci import import_oci
        art = import_oci(doc, file)
        return [art], list(art.diagnostics)
    if "defaultAction" in v:
        if count != 1:
            return [], [Diagnostic("FC608", "a seccomp profile must be a file of its own", where,
                                   hint="move the profile to a .json file")]
        return _seccomp(text, file, where)
    keys = ", ".join(f"`{k}`" for k in list(v)[:4])
    return [], [Diagnostic("FC608", f"not an artifact formalc can import (top-level keys "
                           f"{keys or 'none'})", where, hint=_WHAT)]


def _seccomp(text: str, file: str, where: Span) -> tuple[list[Artifact], list[Diagnostic]]:
    try:
        seccomp = importlib.import_module(__package__ + ".seccomp")
        result = seccomp.load_seccomp(text, file)
    except ImportError:
        return [], [Diagnostic("FC608", "this is a seccomp profile, but this formalc has no "
                               "seccomp importer (formalc.artifacts.seccomp)", where)]
    except Exception as e:
        return [], [Diagnostic("FC608", f"the seccomp importer failed: {type(e).__name__}: {e}",
                               where, hint="please report this as a formalc bug")]
    # accept the shapes an importer may return: an Artifact, (artifacts, diagnostics) in
    # either order, or a list of artifacts
    arts: list[Artifact] = []
    diags: list[Diagnostic] = []

    def take(x) -> None:
        if isinstance(x, Artifact):
            arts.append(x)
        elif isinstance(x, Diagnostic):
            diags.append(x)
        elif isinstance(x, (list, tuple)):
            for y in x:
                take(y)

    take(result)
    for a in arts:
        diags.extend(a.diagnostics)
    return arts, list(dict.fromkeys(diags))


def _display(path: Path) -> str:
    try:
        rel = os.path.relpath(path)
        return rel if not rel.startswith("..") else str(path)
    except ValueError:
        return str(path)


def _read(path: Path, name: str, max_size: int) -> tuple[list[Diagnostic], str | None]:
    try:
        size = path.stat().st_size
        if size > max_size:
            return [Diagnostic("FC004", f"{name} is {size / 2**20:.1f} MiB; the limit is "
                               f"{max_size / 2**20:g} MiB", Span.whole(name))], None
        data = path.read_bytes()
    except OSError as e:
        return [Diagnostic("FC001", f"cannot read {name}: {e.strerror or e}", None)], None
    if b"\x00" in data:
        return [Diagnostic("FC003", f"{name} is a binary file, not a configuration file",
                           Span.whole(name), hint="formalc imports JSON and YAML text")], None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        before = data[:e.start]
        line = before.count(b"\n") + 1
        col = len(before[before.rfind(b"\n") + 1:].decode("utf-8", errors="replace")) + 1
        return [Diagnostic("FC002", f"{name} is not valid UTF-8: byte 0x{data[e.start]:02x} "
                           f"at offset {e.start}", Span(name, line, col, line, col + 1),
                           hint="save the file as UTF-8")], None
    return [], text.removeprefix("\ufeff")
