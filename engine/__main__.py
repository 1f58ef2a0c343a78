"""`python -m engine ...` is `fmfl-engine ...`."""

import sys

from engine.cli import main

sys.exit(main())
