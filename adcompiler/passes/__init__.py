"""Analyses and rewrites on the SSA graph, one per module.

Which of them run is decided by :mod:`adcompiler.options`: the passes needed
to generate code at all always run, the optional optimisations only while
:func:`adcompiler.options.optimizing` holds.
"""
