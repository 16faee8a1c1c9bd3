"""Machine texts shared by the machine tests (the same sample machines everywhere)."""

#: The five lifecycle states of Definition 3.1 and their events (with a spontaneous `exit`).
STATES = """States = {Created, Running, Paused, Stopped, Deleted}
Events = {start, pause, resume, stop, kill, remove, exit}
"""

ACTIONS = "Actions = {SpawnInit, FreezeCgroup}\n"

#: A lifecycle with an internal event, a counter, a guard, an effect and actions.
LIFECYCLE = """machine Lifecycle {
  δ: States × Events → States
  initial Created
  final Deleted
  internal exit
  var restarts: Int = 0
  effect spawn: restarts := restarts + 1, SpawnInit
  δ(Created, start) = Running do SpawnInit
  δ(Created, remove) = Deleted
  δ(Running, pause) = Paused do FreezeCgroup
  δ(Running, stop) = Stopped
  δ(Running, exit) = Stopped
  δ(Paused, resume) = Running
  δ(Paused, kill) = Stopped
  δ(Stopped, start) = Running when restarts < 3 do spawn
  δ(Stopped, remove) = Deleted
}
"""

#: A plain lifecycle without variables, the component of compositions.
BASIC = """machine Basic {
  δ: States × Events → States
  initial Created
  final Deleted
  δ(Created, start) = Running
  δ(Created, remove) = Deleted
  δ(Running, stop) = Stopped
  δ(Running, pause) = Paused
  δ(Paused, resume) = Running
  δ(Stopped, remove) = Deleted
}
"""
