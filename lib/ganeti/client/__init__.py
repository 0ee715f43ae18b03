"""One module per gnt-* command (``gnt_job``, ``gnt_instance``, ...).

Each module defines a ``commands`` table (and ``aliases``) for
``cli.generic_main`` and a ``main() -> int`` that the launch shim in
``scripts/`` calls.  This package must stay empty: importing it is on every
command's start-up path.
"""
