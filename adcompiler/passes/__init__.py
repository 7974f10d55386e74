"""Analyses and rewrites on the SSA graph, one per module.

Which of them run, on which graphs and in which order is declared in one
place, :mod:`.schedule`: the passes needed to generate code at all always
run, the optional optimisations only while
:func:`adcompiler.options.optimizing` holds.
"""
