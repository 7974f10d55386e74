"""``python -m adcompiler.tools.fuzz``: see :func:`.cli.main`."""

import sys

from .cli import main

sys.exit(main())
