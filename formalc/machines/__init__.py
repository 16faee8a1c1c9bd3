"""State machines (Definition 3.1): transition systems, the explicit-state engine, and the
checks of machine properties (`check name: M ⊨ φ`). The symbolic engine lives with the other
Z3 encoders, in :mod:`formalc.encode.machine`."""
