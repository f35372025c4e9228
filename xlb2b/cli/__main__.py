"""``python -m xlb2b.cli``: the same command line as ``xlb2b``."""

import sys

from xlb2b.cli.parser import main

sys.exit(main())
