"""The console's widgets, one family per module."""
