"""Sweeps: every combination of a grid of config values, trained in order with fit into one resumable folder.

A sweep is a preset plus a grid, given on the command line (``--grid optim.lr=0.1,0.5``) or as a TOML
file: a preset (or ``[sweep] base = "a-preset"`` with sections that change it) plus a ``[grid]`` table.
The folder holds one run folder per point, ``sweep.json`` (the definition and every point's result)
and ``sweep.csv`` (one row per run); both are rewritten atomically after every point.

Modules: ``sources`` (a preset, a sweep file or a shipped sweep), ``grid`` (axes of values), ``plan``
(every point, validated before anything runs), ``runner`` (trains the points in order), ``records``
(each point's result, sweep.json, sweep.csv) and ``view`` (the accuracy grid and curves the CLI and the
console draw).
"""
