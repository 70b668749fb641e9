"""How an optional extra is installed, said one way everywhere (messages, help texts): rdfia-tui is installed from a
clone (the README's Set up), not from PyPI. Imports nothing: the CLI's parser, the console and the engine all use it."""

from __future__ import annotations


def install_line(extra: str) -> str:
    """The command that installs the optional ``extra`` (``ray``, ``serve``, ``notify``, ``gpu``, ``report``,
    ``tensorboard``), with where to run it: ``pip install -e ".[ray]" in the rdfia-tui clone``."""
    return f'pip install -e ".[{extra}]" in the rdfia-tui clone'
