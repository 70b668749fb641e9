"""Run records: a folder per run with config.toml, metrics.csv, summary.json and checkpoint.pt.

Modules: ``files`` (atomic writes), ``status`` (the run statuses), ``summary`` (summary.json's fields),
``record`` (the run folder and its records), ``listing`` (every run folder, readable or not),
``checkpoint`` (exact-resume state), ``resume`` (what can be resumed, without torch) and ``liveness`` (live.json:
whether the process of a running run is alive).
This package never imports the sweep package: sweeps are built on runs, not the other way round.
"""
