"""Encoders from the typed model to Z3. This package is the only place that imports z3."""


def solver_version() -> str:
    """The version of the Z3 library in use (part of the result cache's key)."""
    import z3
    return z3.get_version_string()
