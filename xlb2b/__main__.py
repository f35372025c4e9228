"""``python -m xlb2b``: the command line, as the ``xlb2b`` script runs it."""

import sys

from xlb2b.cli import main

if __name__ == "__main__":
    sys.exit(main())
