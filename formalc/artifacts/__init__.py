"""Real configuration files as data: OCI runtime `config.json`, Docker/moby seccomp profiles and
Kubernetes workload manifests, read into plain values with the source position of every field.

Importers never raise on bad input: problems are :class:`~formalc.diagnostics.Diagnostic` values
(codes FC6xx) with the file, line and column; unknown fields are warnings, never silent.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..diagnostics import Diagnostic, Span

#: A path to a value inside a document: keys and list indices, e.g.
#: ("spec", "containers", 0, "securityContext", "privileged").
FieldPath = tuple


@dataclass
class Artifact:
    """One imported object.

    ``kind`` is "oci" (an OCI runtime config), "seccomp" (a seccomp profile) or "pod" (the pod
    template of a Kubernetes Pod, Deployment, DaemonSet, StatefulSet, Job or CronJob).
    ``value`` is the normalised content as plain values (bool, int, str, list, dict), in the
    shape documented by the importer. ``positions`` maps a :data:`FieldPath` of the *original*
    document to the span of its value; ``origin`` maps a path of ``value`` to the path of the
    original document it came from (for findings: "file:line field").
    """
    kind: str
    file: str
    name: str
    value: dict
    positions: dict = field(default_factory=dict)
    origin: dict = field(default_factory=dict)
    diagnostics: list[Diagnostic] = field(default_factory=list)

    def span(self, path: FieldPath) -> Span | None:
        """The span of the original field behind ``path`` (a path of ``value`` or of the
        original document), or of its nearest enclosing field that has one."""
        path = tuple(path)
        path = self.origin.get(path, path)
        while path:
            if path in self.positions:
                return self.positions[path]
            path = path[:-1]
        return self.positions.get((), None)
