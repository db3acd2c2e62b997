"""``python -m hra_viz``: the command line (see ``hra_viz.cli``)."""

import sys

from .cli import main

sys.exit(main())
