"""Small implementations of the seed's Definition 3.1 lifecycle for the conformance tests:
one that follows δ, and twins with one bug each (importable, so replay transcripts run)."""
from __future__ import annotations

#: δ of specs/lifecycle.iot `Lifecycle`.
DELTA = {("Created", "start"): "Running", ("Created", "remove"): "Deleted",
         ("Running", "pause"): "Paused", ("Running", "stop"): "Stopped",
         ("Running", "kill"): "Stopped", ("Paused", "resume"): "Running",
         ("Paused", "kill"): "Stopped", ("Stopped", "start"): "Running",
         ("Stopped", "remove"): "Deleted"}
EVENTS = ("start", "pause", "resume", "stop", "kill", "remove")


class InvalidTransition(ValueError):
    pass


class Container:
    """Follows δ exactly."""

    def __init__(self):
        self.state = "Created"

    def _do(self, event: str) -> None:
        key = (self.state, event)
        if key not in DELTA:
            raise InvalidTransition(f"cannot {event} a {self.state} container")
        self.state = DELTA[key]

    def start(self): self._do("start")
    def pause(self): self._do("pause")
    def resume(self): self._do("resume")
    def stop(self): self._do("stop")
    def kill(self): self._do("kill")
    def remove(self): self._do("remove")


class PausesCreated(Container):
    """Accepts `pause` of a Created container (the spec refuses it)."""

    def pause(self):
        if self.state == "Created":
            self.state = "Paused"
        else:
            super().pause()


class RemovesRunning(Container):
    """Accepts `remove` of a Running container."""

    def remove(self):
        if self.state == "Running":
            self.state = "Deleted"
        else:
            super().remove()


class NoRestart(Container):
    """Refuses `start` of a Stopped container (like runc)."""

    def start(self):
        if self.state == "Stopped":
            raise InvalidTransition("cannot start a container that has stopped")
        super().start()


class StopFreezes(Container):
    """`stop` of a Running container leaves it Paused."""

    def stop(self):
        if self.state == "Running":
            self.state = "Paused"
        else:
            super().stop()


class DirtyRefusal(Container):
    """Refuses `resume` of a Stopped container, but marks it Deleted while doing so."""

    def resume(self):
        if self.state == "Stopped":
            self.state = "Deleted"
            raise InvalidTransition("cannot resume a Stopped container")
        super().resume()


class Crashes(Container):
    """`kill` of a Paused container raises a TypeError (not a refusal)."""

    def kill(self):
        if self.state == "Paused":
            raise TypeError("signal must be an int")
        super().kill()


class StartsRunning(Container):
    def __init__(self):
        self.state = "Running"
