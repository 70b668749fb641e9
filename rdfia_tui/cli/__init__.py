"""The headless command line: a subscriber to the engine's events, like the TUI."""
