"""``python -m adcompiler``: see :mod:`adcompiler.cli`."""

from .cli import main

raise SystemExit(main())
