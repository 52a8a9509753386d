"""``python -m parley``: the command line, as ``parley``."""

from parley.cli import main

main()
