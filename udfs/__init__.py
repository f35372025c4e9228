"""Excel front doors of xlb2b: cell functions, button scripts, the ribbon and the runtime entry points.

Excel front doors of xlb2b: the cell functions in :mod:`udfs.functions`
(thin over the core; :mod:`udfs.convert` converts Excel shapes)."""
