"""Early stopping's counter in words, without torch: the console's status line and the headless lines use it."""

from __future__ import annotations

from rdfia_tui.engine.events import Patience


def best_text(p: Patience, decimals: int = 1) -> str:
    """The best value so far: an accuracy as a percentage ("71.2%"), a loss as a number ("0.4125")."""
    return f"{100 * p.best_value:.{decimals}f}%" if p.metric == "val_acc" else f"{p.best_value:.4g}"


def patience_text(p: Patience) -> str:
    """"patience 2/5, best 71.2% at epoch 12": epochs without improvement out of the patience, and the best epoch."""
    return f"patience {p.waited}/{p.patience}, best {best_text(p)} at epoch {p.best_epoch}"


def patience_forms(p: Patience) -> tuple[str, ...]:
    """The counter from its longest form to its shortest, for a line that must fit a width (engine.progress_line):
    "patience 2/5, best 71.2% at epoch 12", "patience 2/5, best 71.2%", "patience 2/5", "pat 2/5"."""
    counter = f"{p.waited}/{p.patience}"
    return (patience_text(p), f"patience {counter}, best {best_text(p)}", f"patience {counter}", f"pat {counter}")
