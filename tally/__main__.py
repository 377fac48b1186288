"""``python -m tally INPUT.json [--format json|text]``."""

import sys

from .cli import main

sys.exit(main(prog="python -m tally", exit_at_end=True))
