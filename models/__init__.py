"""Python implementations of the components sketched in section 9 of the seed, each checked
against a spec of ``specs/`` by ``tests/test_models.py`` and each with a deliberately buggy
twin that those tests catch:

- :mod:`models.runtime` — a container runtime (§9.1) against ``specs/lifecycle.iot``
  ``Lifecycle``; :class:`~models.runtime.RuncRuntime` drives a real ``runc``;
- :mod:`models.orchestrator` — the orchestrator (§9.2) against ``specs/orchestrator.iot``
  ``ServiceScaling``;
- :mod:`models.secure_container` — the secure container (§9.3): an OCI ``config.json`` whose
  imported form satisfies the predicates of ``specs/threats.iot`` the policy promises;
- :mod:`models.edge_manager` — the edge manager (§9.4) against ``specs/edge.iot``'s
  ``NodeScore`` and ``specs/scheduling.iot``'s ``Feasible``.

See ``models/README.md``.
"""
