"""A persistent cache of check results, so that re-checking unchanged specs costs no solving.

A result is stored under a key that covers everything it depends on: the text of the spec
file and of every file it imports, the check's name, the source of formalc itself and the
version of Z3. Change any of them and the key changes. Only definite verdicts (proved,
satisfied, violated) are stored: an unknown might be decided with more time, so it is never
reused. Values are stored as tagged JSON (exact rationals stay exact), one file per result,
written atomically.

The cache lives in ``$FORMALC_CACHE_DIR``, else ``$XDG_CACHE_HOME/formalc``, else
``~/.cache/formalc``; ``formalc check --no-cache`` or ``FORMALC_NO_CACHE=1`` turns it off.
"""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
from fractions import Fraction
from pathlib import Path

from typing import TYPE_CHECKING

from .results import Binding, Blame, Result, Trace, TraceStep, Verdict

if TYPE_CHECKING:
    from ..model import nodes as m

_FORMAT = "1"
_code_hash: str | None = None


def default_dir() -> Path | None:
    if os.environ.get("FORMALC_NO_CACHE"):
        return None
    if os.environ.get("FORMALC_CACHE_DIR"):
        return Path(os.environ["FORMALC_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "formalc"


def _formalc_hash() -> str:
    """A hash of formalc's own code and grammar, and of the Z3 version."""
    global _code_hash
    if _code_hash is None:
        from ..encode import solver_version
        h = hashlib.sha256(f"{_FORMAT}|{solver_version()}".encode())
        pkg = Path(__file__).resolve().parent.parent
        for f in sorted(pkg.rglob("*")):
            if f.suffix in (".py", ".lark") and f.is_file():
                h.update(f.relative_to(pkg).as_posix().encode())
                h.update(f.read_bytes())
        _code_hash = h.hexdigest()
    return _code_hash


class ResultCache:
    def __init__(self, directory: Path):
        self.dir = directory

    def spec_key(self, spec: m.Spec) -> str:
        h = hashlib.sha256(_formalc_hash().encode())
        for f in (spec.file, *spec.imports):
            h.update(f.encode() + b"\0")
            h.update(spec.sources.get(f, "").encode() + b"\0")
        return h.hexdigest()

    # ---------------------------------------------------------------- whole files
    # A file's manifest lists every file its spec was built from, with their hashes, and the
    # results of all its checks. When none of those files changed, the stored report is the
    # report: the file is not even parsed.
    def _manifest_path(self, path: Path) -> Path:
        k = hashlib.sha256(f"{_formalc_hash()}|manifest|{path.resolve()}".encode()).hexdigest()
        return self.dir / k[:2] / f"{k[2:]}.manifest.json"

    def file_get(self, path: Path, select):
        """(diagnostics, results, sources) for ``path`` if nothing it depends on changed."""
        from ..diagnostics import diagnostic_from_json
        from .runner import matches
        try:
            data = json.loads(self._manifest_path(path).read_text("utf-8"))
            sources = {}
            for name, abspath, digest in data["files"]:
                raw = Path(abspath).read_bytes()
                if hashlib.sha256(raw).hexdigest() != digest:
                    return None
                text = raw.decode("utf-8")
                sources[name] = text[1:] if text.startswith("\ufeff") else text
            diags = [diagnostic_from_json(d) for d in data["diagnostics"]]
            results = [_decode_result(r) for r in data["results"]]
        except (OSError, ValueError, KeyError, TypeError):
            return None
        results = [r for r in results if matches(_Named(r.check), select)]
        return diags, results, sources

    def file_put(self, path: Path, spec: m.Spec, diags, results, loader_sources) -> None:
        if any(r.verdict is Verdict.UNKNOWN for r in results) or any(d.is_error for d in diags):
            return
        if len(results) != len(spec.checks):
            return  # a selection ran: the manifest must hold every check
        from .. model.loader import display_name  # noqa: F401  (names as the report shows them)
        files = []
        try:
            for name in (spec.file, *spec.imports):
                p = Path(name).resolve()
                files.append([name, str(p), hashlib.sha256(p.read_bytes()).hexdigest()])
            target = self._manifest_path(path)
            target.parent.mkdir(parents=True, exist_ok=True)
            payload = {"files": files, "diagnostics": [d.to_json(offsets=True) for d in diags],
                       "results": [_encode_result(r) for r in results]}
            fd, tmp = tempfile.mkstemp(dir=target.parent, suffix=".tmp")
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(payload, fh)
            os.replace(tmp, target)
        except OSError:
            pass

    def _path(self, spec_key: str, check: str) -> Path:
        k = hashlib.sha256(f"{spec_key}|{check}".encode()).hexdigest()
        return self.dir / k[:2] / f"{k[2:]}.json"

    def get(self, spec_key: str, check: str) -> Result | None:
        try:
            data = json.loads(self._path(spec_key, check).read_text("utf-8"))
            r = _decode_result(data)
        except (OSError, ValueError, KeyError, TypeError):
            return None  # missing or unreadable entries are simply recomputed
        return r if r.check == check else None

    def put(self, spec_key: str, result: Result) -> None:
        if result.verdict is Verdict.UNKNOWN:
            return
        path = self._path(spec_key, result.check)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(_encode_result(result), fh)
            os.replace(tmp, path)
        except OSError:
            pass  # a read-only or full cache directory must not fail a check


class _Named:
    """Just enough of a Check for the -k matcher."""

    def __init__(self, name: str):
        self.name = name


def _enc(v):
    if isinstance(v, bool) or v is None or isinstance(v, (int, str)):
        return v
    if isinstance(v, Fraction):
        return {"frac": [v.numerator, v.denominator]}
    if isinstance(v, dict):
        return {"dict": {k: _enc(x) for k, x in v.items()}}
    if isinstance(v, (list, tuple)):
        return {"list": [_enc(x) for x in v]}
    return {"str": str(v)}


def _dec(v):
    if not isinstance(v, dict):
        return v
    if "frac" in v:
        return Fraction(*v["frac"])
    if "dict" in v:
        return {k: _dec(x) for k, x in v["dict"].items()}
    if "list" in v:
        return [_dec(x) for x in v["list"]]
    return v["str"]


def _encode_result(r: Result) -> dict:
    return {"check": r.check, "file": r.file, "line": r.line, "kind": r.kind,
            "formula": r.formula, "verdict": r.verdict.value, "time_ms": r.time_ms,
            "model": [[b.name, _enc(b.value), b.text] for b in r.model],
            "blame": [[b.depth, b.formula, b.value, b.detail, b.location] for b in r.blame],
            "reason": r.reason, "assumptions": list(r.assumptions),
            "definitions": list(r.definitions),
            "values": [[b.name, _enc(b.value), b.text] for b in r.values],
            "trace": _enc_trace(r.trace), "method": r.method, "warnings": list(r.warnings),
            "details": list(r.details)}


def _enc_trace(t):
    if t is None:
        return None
    return {"machine": t.machine, "loop": t.loop, "failed_at": t.failed_at, "formula": t.formula,
            "steps": [[s.index, s.event, s.instance, list(s.actions),
                       [[k, _enc(v)] for k, v in s.state.items()], list(s.changed),
                       dict(s.texts)]
                      for s in t.steps]}


def _dec_trace(d):
    if d is None:
        return None
    steps = tuple(TraceStep(i, ev, inst, tuple(acts), {k: _dec(v) for k, v in state},
                            tuple(changed), dict(texts))
                  for i, ev, inst, acts, state, changed, texts in d["steps"])
    return Trace(d["machine"], steps, d["loop"], d["failed_at"], d["formula"])


def _decode_result(d: dict) -> Result:
    return Result(check=d["check"], file=d["file"], line=d["line"], kind=d["kind"],
                  formula=d["formula"], verdict=Verdict(d["verdict"]), time_ms=d["time_ms"],
                  model=tuple(Binding(n, _dec(v), t) for n, v, t in d["model"]),
                  blame=tuple(Blame(*b) for b in d["blame"]), reason=d["reason"],
                  assumptions=tuple(d["assumptions"]), definitions=tuple(d["definitions"]),
                  cached=True, values=tuple(Binding(n, _dec(v), t) for n, v, t in d["values"]),
                  trace=_dec_trace(d.get("trace")), method=d.get("method"),
                  warnings=tuple(d.get("warnings", ())), details=tuple(d.get("details", ())))
