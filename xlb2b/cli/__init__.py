"""Command line: ``xlb2b analyze``, ``xlb2b adp``, ``xlb2b demo``, ``xlb2b settings init``.

Exit status: 0 success; 1 an expected error (an output exists, a folder is
not writable, ...); 2 the input or the options cannot be used (the input
report is printed as a table); 3 an internal error (set ``XLB2B_DEBUG=1`` to
see the traceback).  No traceback reaches the user otherwise.

Outputs are checked before any work starts, never overwritten without
``--force``, and written atomically; input files are only read.
"""

from xlb2b.cli.commands import DEMO_ADP_CLIENTS
from xlb2b.cli.parser import build_parser, main

__all__ = ["DEMO_ADP_CLIENTS", "build_parser", "main"]
