"""The classic xlwings add-in xlb2b.xlam: its ribbon and VBA sources and their builder.

Sources of the classic xlwings add-in ``xlb2b.xlam`` (the "B2B" ribbon tab)
and its builder :mod:`udfs.addin.build`."""
