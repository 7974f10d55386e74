"""``python -m adcompiler``: see :mod:`adcompiler.tools.cli`."""

from .tools.cli import main

raise SystemExit(main())
