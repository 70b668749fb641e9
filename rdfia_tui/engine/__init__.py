"""The training engine: config, data, models, optimisers, schedules, loop and records.

Nothing in this package imports textual, rich or plotext; screens and the command
line subscribe to the typed events in :mod:`rdfia_tui.engine.events`.
"""
