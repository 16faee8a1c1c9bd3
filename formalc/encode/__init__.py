"""Encoders from the typed model to Z3. This package is the only place that imports z3."""


def solver_version() -> str:
    """The version of the Z3 library in use (part of the result cache's key), read from the
    package metadata so that a fully cached run need not load Z3."""
    try:
        from importlib.metadata import version
        return "z3-solver " + version("z3-solver")
    except Exception:  # not installed as a distribution: ask the library itself
        import z3
        return z3.get_version_string()
