"""Excel front doors of xlb2b: the cell functions in :mod:`udfs.functions`
(thin over the core; :mod:`udfs.convert` converts Excel shapes)."""
