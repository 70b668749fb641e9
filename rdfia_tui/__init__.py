"""rdfia-tui: a terminal training console for PyTorch, built around the RDFIA labs 4-7."""

__version__ = "0.1.0"
