"""The shipped sweeps (a preset plus a [grid] table), installed as the package data ``rdfia_tui.presets.sweeps``."""
