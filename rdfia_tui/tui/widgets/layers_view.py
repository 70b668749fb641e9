"""The layer table: output shape, parameters, receptive field and jump, with the total or the error."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import DataTable, Static


def _shape(shape: Any) -> str:
    return "×".join(str(s) for s in shape)


class LayerTableView(Vertical):
    DEFAULT_CSS = """
    LayerTableView { height: auto; max-height: 18; }
    LayerTableView DataTable { height: auto; max-height: 15; }
    LayerTableView #layers-total { height: auto; padding: 0 1; }
    LayerTableView #layers-total.-error { color: $error; text-style: bold; }
    """

    def compose(self) -> ComposeResult:
        table = DataTable(id="layers-table", cursor_type="row", zebra_stripes=True)
        table.add_columns("layer", "type", "output", "params", "RF", "jump")
        yield table
        yield Static("computing the layer table…", id="layers-total")

    def show(self, table: Any | None, error: str | None = None) -> None:
        grid = self.query_one(DataTable)
        grid.clear()
        total = self.query_one("#layers-total", Static)
        rows = getattr(table, "rows", []) if table is not None else []
        for r in rows:
            grid.add_row(
                r.name,
                r.kind,
                _shape(r.out_shape),
                f"{r.params:,}",
                "" if r.receptive_field is None else str(r.receptive_field),
                "" if r.jump is None else str(r.jump),
            )
        message = error or (getattr(table, "error", None) if table is not None else None)
        total.set_class(bool(message), "-error")
        if message:
            total.update(f"✗ {message}")
        else:
            total.update(f"total parameters: {table.total_params:,}   input {_shape(table.input_shape)}")

    @property
    def message(self) -> str:
        return str(self.query_one("#layers-total", Static).render())
