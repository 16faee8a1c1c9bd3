"""`formalc graph`: a machine's transition table δ as a diagram (Graphviz dot, Mermaid, SVG).

States are nodes and rows of δ are edges labelled ``event [guard] / actions``; the initial
state has an arrow from a point, final states are double circles, internal (spontaneous)
events are dashed. A composition draws each component's machine in a cluster labelled like
its declaration (``c[1..N]: Basic``), with a note listing the parameters and sync rules.
With an ITF trace (``formalc check --trace-out``), the states and transitions the run visits
are drawn bold and red.
"""
from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from ..diagnostics import source_text, suggest
from ..model import nodes as m

#: Seconds Graphviz may take to lay out a graph for --format svg.
DOT_TIMEOUT_S = 60


class GraphError(Exception):
    """A user-facing error of `formalc graph` (exit 2)."""


@dataclass
class Visited:
    """What a trace visits: per cluster (component name, or "" for a basic machine drawn
    alone), the states and the (src, event, dst) transitions."""
    states: dict[str, set[str]] = field(default_factory=dict)
    edges: dict[str, set[tuple[str, str | None, str]]] = field(default_factory=dict)

    def state(self, cluster: str, s: str) -> bool:
        return s in self.states.get(cluster, ())

    def edge(self, cluster: str, src: str, event: str, dst: str) -> bool:
        es = self.edges.get(cluster, ())
        return (src, event, dst) in es or (src, None, dst) in es


@dataclass
class Cluster:
    """One machine's δ to draw: ``key`` prefixes its node ids; ``label`` titles it."""
    key: str
    label: str | None
    machine: m.Machine
    visited_key: str  # the cluster name in Visited


# ------------------------------------------------------------------------------ entry point
def graph_command(path: str, *, machine: str | None = None, fmt: str = "dot",
                  trace: str | None = None) -> str:
    """The diagram text (or SVG) for the spec at ``path``; GraphError for user errors."""
    from ..api import load
    from ..diagnostics import SpecError
    if fmt == "svg" and shutil.which("dot") is None:
        raise GraphError("`dot` (Graphviz) is not installed; use --format dot or mermaid, "
                         "or install graphviz")
    try:
        spec = load(path)
    except SpecError as e:
        raise GraphError(f"{path} has errors:\n{e.render()}") from None
    except OSError as e:
        raise GraphError(f"cannot read {path}: {e.strerror or e}") from None
    itf = None
    if trace is not None:
        from .itf import read_itf
        try:
            itf = read_itf(Path(trace).read_text(encoding="utf-8"))
        except OSError as e:
            raise GraphError(f"cannot read {trace}: {e.strerror or e}") from None
        except ValueError as e:
            raise GraphError(f"{trace}: {e}") from None
    roots = select_machines(spec, machine, path)
    if itf is not None and len(roots) > 1:
        name = itf.get("#meta", {}).get("machine")
        if name in spec.machines:
            roots = [spec.machines[name]]
    text = render_dot(spec, roots, itf) if fmt in ("dot", "svg") else render_mermaid(spec, roots, itf)
    if fmt == "svg":
        return to_svg(text)
    return text


def select_machines(spec: m.Spec, name: str | None, path: str = "") -> list[m.Machine]:
    machines: dict[str, m.Machine] = spec.machines
    if not machines:
        raise GraphError(f"{path or spec.file} declares no state machine")
    if name is not None:
        if name not in machines:
            hint = suggest(name, machines) or \
                "machines: " + ", ".join(f"`{n}`" for n in sorted(machines))
            raise GraphError(f"no machine `{name}` in {path or spec.file}; {hint}")
        return [machines[name]]
    used = {c.machine for mach in machines.values() for c in mach.components}
    return [mach for n, mach in machines.items() if n not in used] or list(machines.values())


def to_svg(dot_text: str) -> str:
    exe = shutil.which("dot")
    if exe is None:
        raise GraphError("`dot` (Graphviz) is not installed; use --format dot or mermaid, "
                         "or install graphviz")
    try:
        p = subprocess.run([exe, "-Tsvg"], input=dot_text, capture_output=True, text=True,
                           encoding="utf-8", timeout=DOT_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        raise GraphError(f"`dot` did not finish within {DOT_TIMEOUT_S} s") from None
    except OSError as e:
        raise GraphError(f"cannot run `dot`: {e.strerror or e}") from None
    if p.returncode != 0:
        raise GraphError(f"`dot` failed: {p.stderr.strip()}")
    return p.stdout


# ------------------------------------------------------------------------------ shared pieces
def _text(spec: m.Spec, e) -> str:
    t = source_text(spec.sources, getattr(e, "span", None))
    if t:
        return t
    if isinstance(e, m.Lit):
        return str(e.value).lower() if isinstance(e.value, bool) else str(e.value)
    if isinstance(e, m.Var):
        return e.name
    return "…"


def edge_label(spec: m.Spec, mach: m.Machine, r: m.Row) -> str:
    """``event [guard] / x := e, Action``."""
    label = r.event
    if r.guard is not None:
        label += f" [{_text(spec, r.guard)}]"
    effects = [f"{n} := {_text(spec, e)}" for n, e in r.updates] + list(r.actions)
    if effects:
        label += " / " + ", ".join(effects)
    return label


def _clusters(spec: m.Spec, roots: list[m.Machine]) -> list[tuple[m.Machine | None, list[Cluster]]]:
    """Per root machine: the clusters to draw (one for a basic machine; one per component
    for a composition)."""
    out = []
    for mach in roots:
        if mach.is_composition:
            cs = []
            for c in mach.components:
                label = source_text(spec.sources, c.span) or f"{c.name}: {c.machine}"
                cs.append(Cluster(f"{mach.name}.{c.name}", label, spec.machines[c.machine], c.name))
            out.append((mach, cs))
        else:
            label = mach.name if len(roots) > 1 else None
            out.append((None, [Cluster(mach.name, label, mach, "")]))
    return out


def _notes(spec: m.Spec, mach: m.Machine) -> list[str]:
    notes = [f"param {source_text(spec.sources, p.span) or p.name}" for p in mach.params]
    notes += [f"var {v.name}" + (f" = {_text(spec, v.init)}" if v.init is not None else "")
              for v in mach.vars]
    notes += [f"sync: {source_text(spec.sources, s.span) or ', '.join(f'{c}.{e}' for c, e in s.events)}"
              for s in mach.syncs]
    return notes


def visited_from_itf(spec: m.Spec, roots: list[m.Machine], itf: dict | None) -> Visited:
    """The states and transitions an ITF trace (as written by --trace-out) visits."""
    from .itf import ACTION_TAKEN, plain_value
    vis = Visited()
    if itf is None:
        return vis
    states = [s for s in itf.get("states", []) if isinstance(s, dict)]
    comps = {c.name for r in roots for c in r.components}

    def positions(st: dict) -> dict[str, str]:
        """{slot: control state}: "state" for a basic machine, "c[3]" per instance."""
        out = {}
        for k, v in st.items():
            if k == "state" and isinstance(v, str):
                out[k] = v
            elif "[" in k and k.split("[")[0] in comps and isinstance(v, str):
                out[k] = v
        return out

    def cluster(slot: str) -> str:
        return "" if slot == "state" else slot.split("[")[0]

    seq = [positions(s) for s in states]
    for pos in seq:
        for slot, v in pos.items():
            vis.states.setdefault(cluster(slot), set()).add(v)
    steps = list(zip(seq, seq[1:], states[1:]))
    loop = itf.get("loop")
    if isinstance(loop, int) and 0 <= loop < len(seq) and seq:
        steps.append((seq[-1], seq[loop], None))  # the step that closes the lasso
    for a, b, st in steps:
        event = None
        if st is not None:
            meta = st.get("#meta", {}) if isinstance(st.get("#meta"), dict) else {}
            event = meta.get("event")
            if event is None:
                action = plain_value(st.get(ACTION_TAKEN))
                if isinstance(action, str) and action != "init":
                    event = action.split(".")[-1]
        moved = [slot for slot in b if a.get(slot) != b.get(slot)]
        if not moved and st is not None:  # a self-loop: the instance that moved is named
            meta = st.get("#meta", {}) if isinstance(st.get("#meta"), dict) else {}
            inst = meta.get("instance") or ("state" if "state" in b else None)
            moved = [inst] if inst in b else []
        for slot in moved:
            vis.edges.setdefault(cluster(slot), set()).add((a.get(slot), event, b[slot]))
    return vis


# ------------------------------------------------------------------------------ dot
def _q(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'




def render_dot(spec: m.Spec, roots: list[m.Machine], itf: dict | None = None) -> str:
    vis = visited_from_itf(spec, roots, itf)
    title = roots[0].name if len(roots) == 1 else Path(spec.file).stem
    lines = [f"digraph {_q(title)} {{",
             "  rankdir=LR;",
             '  graph [fontname="Helvetica"];',
             '  node [shape=circle, fontname="Helvetica"];',
             '  edge [fontname="Helvetica", fontsize=10];']
    for comp, clusters in _clusters(spec, roots):
        indent = "  "
        if comp is not None:
            lines.append(f"  subgraph {_q('cluster_' + comp.name)} {{")
            lines.append(f"    label={_q(comp.name)};")
            indent = "    "
            notes = _notes(spec, comp)
            if notes:
                lines.append(f"{indent}{_q(comp.name + '.__note')} [shape=note, "
                             f"label={_q(chr(10).join(notes))}];")
        for cl in clusters:
            lines += _dot_cluster(spec, cl, vis, indent)
        if comp is not None:
            lines.append("  }")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _dot_cluster(spec: m.Spec, cl: Cluster, vis: Visited, indent: str) -> list[str]:
    mach = cl.machine
    out = []
    inner = indent
    if cl.label is not None:
        out.append(f"{indent}subgraph {_q('cluster_' + cl.key)} {{")
        out.append(f"{indent}  label={_q(cl.label)};")
        inner = indent + "  "
    nid = lambda s: _q(f"{cl.key}.{s}")  # noqa: E731
    init_id = _q(f"{cl.key}.__initial")
    out.append(f"{inner}{init_id} [shape=point, width=0.15, label=\"\"];")
    for s in mach.state_type.members if mach.state_type is not None else ():
        attrs = [f"label={_q(s)}"]
        if s in mach.finals:
            attrs.append("shape=doublecircle")
        if vis.state(cl.visited_key, s):
            attrs.append('color="red", fontcolor="red", penwidth=2.5')
        out.append(f"{inner}{nid(s)} [{', '.join(attrs)}];")
    if mach.initial is not None:
        out.append(f"{inner}{init_id} -> {nid(mach.initial)};")
    for r in mach.rows:
        attrs = [f"label={_q(edge_label(spec, mach, r))}"]
        styles = []
        if r.event in mach.internal:
            styles.append("dashed")
        if vis.edge(cl.visited_key, r.src, r.event, r.dst):
            styles.append("bold")
            attrs.append('color="red", fontcolor="red", penwidth=2.5')
        if styles:
            attrs.append(f"style={_q(','.join(styles))}")
        out.append(f"{inner}{nid(r.src)} -> {nid(r.dst)} [{', '.join(attrs)}];")
    if cl.label is not None:
        out.append(f"{indent}}}")
    return out


# ------------------------------------------------------------------------------ mermaid
def _mid(s: str) -> str:
    return "".join(ch if ch.isalnum() or ch == "_" else "_" for ch in s)


def _mlabel(s: str) -> str:
    # Mermaid reads `:` after the first one fine, but `;` ends a statement and `#` starts an
    # entity code: write both as entity codes.
    return s.replace("#", "#35;").replace(";", "#59;")


def render_mermaid(spec: m.Spec, roots: list[m.Machine], itf: dict | None = None) -> str:
    vis = visited_from_itf(spec, roots, itf)
    lines = ["stateDiagram-v2"]
    highlighted: list[str] = []
    visited_edges: list[str] = []
    for comp, clusters in _clusters(spec, roots):
        indent = "    "
        if comp is not None:
            lines.append(f"    state {comp.name} {{")
            indent = "        "
        for cl in clusters:
            nested = cl.label is not None
            prefix = _mid(cl.key) + "_" if nested or comp is not None else ""
            ind = indent
            if nested:
                lines.append(f"{indent}state \"{_mlabel(cl.label)}\" as {_mid(cl.key)} {{")
                ind = indent + "    "
            mach = cl.machine
            ids = {}
            for s in mach.state_type.members if mach.state_type is not None else ():
                ids[s] = prefix + s if prefix else s
                if prefix:
                    lines.append(f"{ind}state \"{s}\" as {ids[s]}")
                if vis.state(cl.visited_key, s):
                    highlighted.append(ids[s])
            if mach.initial is not None:
                lines.append(f"{ind}[*] --> {ids[mach.initial]}")
            for r in mach.rows:
                label = edge_label(spec, mach, r)
                if r.event in mach.internal:
                    label += " (internal)"
                if vis.edge(cl.visited_key, r.src, r.event, r.dst):
                    label = "★ " + label
                    visited_edges.append(label)
                lines.append(f"{ind}{ids[r.src]} --> {ids[r.dst]} : {_mlabel(label)}")
            for f in mach.finals:
                lines.append(f"{ind}{ids[f]} --> [*]")
            if nested:
                lines.append(f"{indent}}}")
        if comp is not None:
            lines.append("    }")
            notes = _notes(spec, comp)
            if notes:
                lines.append(f"    note right of {comp.name}")
                lines += [f"        {_mlabel(n)}" for n in notes]
                lines.append("    end note")
    if highlighted:
        lines.append("    classDef visited stroke:#d00,stroke-width:3px,color:#d00")
        lines.append(f"    class {','.join(dict.fromkeys(highlighted))} visited")
    return "\n".join(lines) + "\n"
