"""Analyses and rewrites on the SSA graph, one per module."""
