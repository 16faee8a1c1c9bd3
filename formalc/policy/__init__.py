"""Security policies decided with Z3: seccomp profiles (:mod:`formalc.policy.seccomp`).

This package may import z3 (like :mod:`formalc.encode`); its results are plain Python values.
:mod:`formalc.policy.syscalls` is pure data and safe to import anywhere.
"""
