"""The shipped presets, installed as the package data ``rdfia_tui.presets``."""
