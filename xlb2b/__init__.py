"""xlb2b: B2B client-base analytics and key-account planning for Excel."""
from .errors import InputError, Problem, Report
from .settings import Settings

__version__ = "0.1.0"
__all__ = ["InputError", "Problem", "Report", "Settings", "__version__"]
