"""The typed model: types (``types``), nodes (``nodes``), and the builder that makes them from
syntax (``build``, ``typecheck``); ``loader`` reads files and resolves imports, ``compile`` runs
the stages. Import the submodules you need (importing this package loads none of them)."""
