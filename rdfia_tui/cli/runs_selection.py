"""``rdfia-tui runs --where EXPR --sort COLUMN [--desc]``: which listed runs are shown, and in what order."""

from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from rdfia_tui.engine.runs.fields import QueryError, find_field, sort_runs
from rdfia_tui.engine.runs.query import Query, parse_query


@dataclass(frozen=True)
class Selection:
    """The filter and the order a ``runs`` command asked for (none: every run, newest first)."""

    query: Query
    sort: str | None = None
    descending: bool = False

    def apply(self, newest_first: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
        """The runs that match, in the order asked for (newest first when no sort was asked for)."""
        kept = [run for run in newest_first if self.query.matches(run)]
        return sort_runs(kept, self.sort, descending=self.descending) if self.sort else kept

    def header(self) -> str:
        """The first column's header: how the rows are ordered."""
        if not self.sort:
            return "run (newest first)"
        return f"run (by {self.sort}, {'highest' if self.descending else 'lowest'} first)"


def selection_of(args: argparse.Namespace) -> Selection:
    """--where, --sort and --desc read and checked before any run is listed. Raises QueryError (exit 2, one line
    starting with the option at fault)."""
    where, sort = " ".join(getattr(args, "where", None) or []), getattr(args, "sort", None)  # each --where ANDed
    try:
        query = parse_query(where)
    except QueryError as exc:
        raise QueryError(f"--where: {exc}") from None
    if sort:
        try:
            find_field(sort)
        except QueryError as exc:
            raise QueryError(f"--sort: {exc}") from None
    if getattr(args, "desc", False) and not sort:
        raise QueryError("--desc reverses --sort; give the column too, e.g. --sort test_acc --desc")
    return Selection(query, sort, bool(getattr(args, "desc", False)))


def add_selection_args(p: argparse.ArgumentParser) -> None:
    """The ``runs`` command's --where, --sort and --desc."""
    p.add_argument(
        "--where",
        metavar="EXPR",
        action="append",
        help="only the runs that match, e.g. 'optim.name=adam test_acc>0.7' (clauses ANDed, and so are several --where; "
        "= != > >= < <= ~; accuracies as 0-1 fractions or with %%)",
    )
    p.add_argument("--sort", metavar="COLUMN", help="order by a column (test_acc, status, time, started…) or a config key (optim.lr)")
    p.add_argument("--desc", action="store_true", help="with --sort: highest first")
