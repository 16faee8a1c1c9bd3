"""An adapter for a real OCI runtime (``runc``, ``crun``) driven through its command line.

Each generated trace gets a fresh container ID in the adapter's private state root; the
container runs a busybox workload (``sleep 3600`` unless told otherwise). Operations:

========================  =============================================
event                     runtime command
========================  =============================================
``create``                ``create --bundle B ID``
``start``                 ``start ID``
``pause`` / ``resume``    ``pause ID`` / ``resume ID``
``kill``                  ``kill ID KILL``
``term`` (also ``stop``)  ``kill ID TERM``
``delete`` (``remove``)   ``delete ID``
``forceDelete``           ``delete --force ID``
========================  =============================================

Each also answers to its ``oci`` name (``ociCreate`` … ``ociForceDelete``, as in
``specs/oci_runtime.iot``). ``stop`` and ``remove`` are the seed document's names (Definition 3.1) for the same commands,
so the seed's own machine can be run against the runtime unchanged. A command's exit status
says accepted (0) or refused (anything else, with the runtime's message as the detail).
Observations are ``<runtime> state ID``'s ``status``; a container that does not exist is
"absent", which matches a spec state named ``Absent`` or ``Deleted``.

When the machine has a ``create`` event, a trace starts with no container (the spec's initial
state is then the runtime's "absent"); otherwise :meth:`reset` creates the container and the
trace starts in "created".
"""
from __future__ import annotations

import subprocess

from .adapter import Outcome
from .bundle import Runtime, probe_runtime

#: Event name → (command, arguments) for the runtime; see the module documentation.
OPERATIONS = {
    "create": ("create",), "start": ("start",), "pause": ("pause",), "resume": ("resume",),
    "kill": ("kill", "KILL"), "term": ("kill", "TERM"), "stop": ("kill", "TERM"),
    "delete": ("delete",), "remove": ("delete",), "forceDelete": ("delete", "--force"),
}
# specs/oci_runtime.iot's names (global names in the spec library must not clash)
OPERATIONS.update({"oci" + k[0].upper() + k[1:]: v for k, v in list(OPERATIONS.items())
                   if k not in ("stop", "remove")})


def runtime_version(binary: str) -> str:
    try:
        out = subprocess.run([binary, "--version"], capture_output=True, text=True,
                             timeout=10).stdout
    except (OSError, subprocess.TimeoutExpired):
        return ""
    first = out.splitlines()[0] if out else ""
    return first.split("version", 1)[1].strip().split("+")[0] if "version" in first else ""


class RuntimeAdapter:
    """Drive ``runtime`` (runc or crun). Raises
    :class:`~formalc.conform.bundle.RuntimeUnavailable` (with the reason) when it cannot be
    used on this machine."""

    events = frozenset(OPERATIONS)
    aliases = {"absent": ("Absent", "Deleted", "Removed")}
    poll_timeout = 1.0

    def __init__(self, runtime: str = "runc", workload: tuple[str, ...] = ("sleep", "3600"),
                 create_on_reset: bool | None = None):
        probe_runtime(runtime)
        self.runtime_name = runtime
        self.workload = tuple(workload)
        self.create_on_reset = create_on_reset
        self.rt = Runtime(runtime)
        self.name = f"{runtime} {runtime_version(self.rt.binary)}".strip()
        if not self.workload:
            self.rt.cleanup()
            raise ValueError("the workload is empty (e.g. ('sleep', '3600'))")
        head = self.workload[0] if self.workload[0].startswith("/") else "/bin/" + self.workload[0]
        self._bundle = self.rt.bundle([head, *self.workload[1:]])
        self._n = 0
        self.cid: str | None = None

    # ---------------------------------------------------------------- the protocol
    def bind(self, sm) -> None:
        """Called by the engine with the spec machine: create the container on reset unless
        the machine creates it itself."""
        if self.create_on_reset is None:
            self.create_on_reset = not {"create", "ociCreate"} & set(sm.commands)

    @property
    def seconds(self) -> float:
        return self.rt.seconds

    def reset(self) -> None:
        if self.cid is not None:   # the previous trace's container goes in the background
            self.rt.delete_later(self.cid)
        self._n += 1
        self.cid = f"formalc-{self._n}"
        if self.create_on_reset or self.create_on_reset is None:
            c = self.rt.create(self.cid, self._bundle)
            if not c.ok:
                raise RuntimeError(f"{self.runtime_name} create failed: {c.detail}")

    def apply(self, event: str) -> Outcome:
        op = OPERATIONS[event]
        rt, cid = self.rt, self.cid
        if op[0] == "create":
            c = rt.create(cid, self._bundle)
        elif op[0] == "kill":
            c = rt.kill(cid, op[1])
        elif op[0] == "delete":
            c = rt.delete(cid, force=len(op) > 1)
        else:
            c = rt.run(op[0], cid)
        if c.timed_out:   # a hung runtime is never a refusal
            raise RuntimeError(f"{self.runtime_name} {op[0]} did not answer: {c.detail}")
        return Outcome(c.ok, "" if c.ok else c.detail)

    def observe(self) -> str:
        st = self.rt.state(self.cid)
        if st == "unknown":  # `state` failed for another reason than "does not exist"
            raise RuntimeError(f"{self.runtime_name} state {self.cid} failed: "
                               f"{self.rt.last_state_error}")
        return st

    def close(self) -> None:
        self.rt.cleanup()

    def transcript_setup(self) -> str:
        return ("from formalc.conform.runtime import RuntimeAdapter\n"
                f"adapter = RuntimeAdapter({self.runtime_name!r}, workload={self.workload!r}, "
                f"create_on_reset={bool(self.create_on_reset)!r})")
