"""`python -m fmfl_tui`: the same as the `fmfl-tui` console script."""

import sys

from fmfl_tui.cli import main

sys.exit(main())
