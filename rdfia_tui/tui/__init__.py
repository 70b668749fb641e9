"""The Textual console: the only package that imports textual, rich or plotext."""
