"""Shared helpers of the benchmark scripts: the machine, summary statistics and JSON output."""

from __future__ import annotations

import datetime
import json
import os
import platform
import statistics
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO.parent / "shared" / "data"


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine() -> dict[str, object]:
    """CPU model, cores, GPU (when torch sees one), library versions and the date."""
    info: dict[str, object] = {
        "date": datetime.date.today().isoformat(),
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
    }
    if "torch" in sys.modules:
        torch = sys.modules["torch"]
        info["torch"] = torch.__version__
        info["threads"] = torch.get_num_threads()
        info["gpu"] = torch.cuda.get_device_name(0) if torch.cuda.is_available() else None
    return info


def spread(values: list[float]) -> dict[str, float]:
    """Median and range of repeated measurements."""
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "runs": [round(v, 4) for v in values]}


def data_root(explicit: str | None, needed: str = "cifar10.npz") -> Path:
    """--data, then RDFIA_TUI_DATA, then ../shared/data; exits 2 when ``needed`` is not there."""
    root = Path(explicit) if explicit else Path(os.environ.get("RDFIA_TUI_DATA", DEFAULT_DATA))
    if not (root / needed).exists():
        print(f"error: no {needed} in {root}; pass --data DIR or set RDFIA_TUI_DATA", file=sys.stderr)
        raise SystemExit(2)
    return root


def run_main(main) -> None:
    """Run a script's ``main``; a user's mistake (a preset, key or value the engine refuses) is one line and exit 2."""
    from rdfia_tui.engine.errors import RdfiaError

    try:
        main()
    except RdfiaError as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None


def emit(result: dict[str, object], out: str | None = None) -> None:
    """Print the JSON result (and write it to ``out`` when given)."""
    text = json.dumps(result, indent=2)
    print(text)
    if out:
        Path(out).write_text(text + "\n", encoding="utf-8")
