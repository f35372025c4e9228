"""xlb2b's cell functions for an xlwings Server app, unchanged from udfs.functions.

xlb2b's cell functions for an xlwings Server app (its ``custom_functions``
package): the functions of :mod:`udfs.functions`, unchanged."""

from udfs.functions import *  # noqa: F401,F403
from udfs.functions import __all__  # noqa: F401
