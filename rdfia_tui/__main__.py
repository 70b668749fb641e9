"""Entry point for ``python -m rdfia_tui``."""

from rdfia_tui.cli.main import main

if __name__ == "__main__":
    raise SystemExit(main())
