"""What runs on the nodes of a Ray sweep: a point as a Ray Tune trial, and the actor that writes its records
into the sweep folder on the driver's node (engine.sweep.on_ray drives them). Importing this module never
imports Ray: the classes are built on first use.
"""

from __future__ import annotations

import contextlib
import functools
import json
import math
import queue
import shutil
import tempfile
import threading
from pathlib import Path
from typing import Any

from rdfia_tui.engine import config as config_mod
from rdfia_tui.engine.control import RunControl
from rdfia_tui.engine.events import EpochEnded, Event, RunStarted
from rdfia_tui.engine.runs.files import atomic_replace
from rdfia_tui.engine.runs.status import RunStatus

RECORD_FILES = ("config.toml", "metrics.csv", "summary.json", "events.jsonl", "output.log", "checkpoint.pt")


def start_collector(ray: Any, sweep_dir: Path) -> Any:
    """The Collector actor, on this (the driver's) node: it alone writes trial records into ``sweep_dir``."""
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    here = NodeAffinitySchedulingStrategy(ray.get_runtime_context().get_node_id(), soft=False)
    # threaded: the driver waits in take() while trials call receive()
    return ray.remote(num_cpus=0)(Collector).options(scheduling_strategy=here, max_concurrency=16).remote(str(sweep_dir))


class Collector:
    """Writes the run folders that trials send into the sweep folder, and hands each point's outcome to the driver."""

    def __init__(self, sweep_dir: str) -> None:
        self.sweep_dir = Path(sweep_dir)
        self.arrived: dict[int, tuple[str, dict | None, str, str]] = {}
        self.condition = threading.Condition()

    def receive(self, index: int, name: str, files: dict[str, bytes], status: str, message: str) -> None:
        """Point ``index``'s run folder ``name`` (its files' bytes), and how it ended. Trials started in the same second
        on separate nodes name their folders alike: a name already in the sweep folder gets a suffix (-2, -3…)."""
        folder, n = self.sweep_dir / name, 1
        while True:
            try:
                folder.mkdir(parents=True)
                break
            except FileExistsError:
                n += 1
                folder = self.sweep_dir / f"{name}-{n}"
        name = folder.name
        summary = None
        if "summary.json" in files:
            summary = json.loads(files["summary.json"])
            summary["run_dir"] = str(folder)  # where the records are now, not the trial's scratch folder
            files = {**files, "summary.json": (json.dumps(summary, indent=2, ensure_ascii=False) + "\n").encode()}
        for file_name, data in files.items():
            atomic_replace(folder / file_name, lambda fh, data=data: fh.write(data))
        with self.condition:
            self.arrived[index] = (name, summary, status, message)
            self.condition.notify_all()

    def take(self, index: int, wait_s: float) -> tuple[str, dict | None, str, str] | None:
        """Point ``index``'s outcome once its records are written, waiting up to ``wait_s`` seconds; None if they did not come."""
        with self.condition:
            self.condition.wait_for(lambda: index in self.arrived, timeout=wait_s)
            return self.arrived.get(index)


@functools.cache
def trial_class() -> type:
    """PointTrial, a subclass of Tune's Trainable (built on first use)."""
    from ray import tune

    class PointTrial(tune.Trainable):
        """One point as a Tune trial: ``fit`` trains it in a thread; each ``step`` is one epoch, reported to Tune.

        When Tune stops the trial early (ASHA), ``cleanup`` stops the run at its next step; the run's records say
        stopped, and the sweep records the point as pruned. Every ending sends the run folder to the Collector.
        """

        def setup(self, config: dict, configs: list[str], data_root: str, collector: Any, threads: int) -> None:
            cfg = config_mod.from_mapping(config_mod.parse_toml(configs[int(config["index"])], source="the sweep point"))
            if cfg.train.threads == 0:
                cfg = config_mod.with_value(cfg, "train.threads", threads)  # a runtime key: the point's identity is unchanged
            self.index, self.collector, self.control = int(config["index"]), collector, RunControl()
            self.scratch = Path(tempfile.mkdtemp(prefix="rdfia-tui-trial-"))
            self.events: queue.Queue[tuple[str, Any]] = queue.Queue()
            self.run_dir: Path | None = None
            self.last: dict[str, float] = {}
            self.sent = False
            self.proceed, self.delivered = threading.Semaphore(0), False  # one epoch at a time, as Tune asks for it
            self.thread = threading.Thread(target=self._train, args=(cfg, data_root or None), daemon=True)
            self.thread.start()

        def _train(self, cfg: Any, data_root: str | None) -> None:
            from rdfia_tui.engine.training import fit

            try:
                result = fit(cfg, self._emit, self.control, runs_dir=self.scratch, data_root=data_root)
                self.events.put(("done", (str(result.status), result.message)))
            except BaseException as exc:  # a failed point is a result: the sweep goes on
                self.events.put(("done", (str(RunStatus.FAILED), f"{type(exc).__name__}: {exc}")))

        def _emit(self, event: Event) -> None:
            if isinstance(event, RunStarted):
                self.run_dir = Path(event.run_dir)
            elif isinstance(event, EpochEnded) and event.metrics.epoch > 0:
                self.events.put(("epoch", event.metrics))
                self.proceed.acquire()  # the next epoch trains once Tune asks for it: ASHA may stop the trial first

        def step(self) -> dict:
            if self.delivered:
                self.proceed.release()  # Tune wants the next epoch
            kind, value = self.events.get()
            self.delivered = kind == "epoch"
            if kind == "epoch":
                m = value
                self.last = {"epoch": m.epoch, "val_acc": _finite(m.val_acc), "test_acc": _finite(m.test_acc)}
                return dict(self.last)
            status, message = value
            self._send(status, message)
            return {**self.last, "epoch": self.last.get("epoch", 0), "done": True}

        def cleanup(self) -> None:
            if not self.sent:
                self.control.stop.set()
                self.proceed.release()
                self.thread.join()
                self._send(*self._ending())
            with contextlib.suppress(OSError):
                shutil.rmtree(self.scratch)

        def _ending(self) -> tuple[str, str]:
            """How a run that Tune stopped ended: pruned when the stop cut it short; its own status when it had
            already ended (ASHA also stops a trial that reached the last epoch)."""
            ended = [value for kind, value in list(self.events.queue) if kind == "done"]
            if ended and ended[0][0] != RunStatus.STOPPED:
                return ended[0]
            epoch, val = self.last.get("epoch", 0), self.last.get("val_acc", 0.0)
            return str(RunStatus.PRUNED), f"stopped early by the ASHA scheduler after epoch {epoch:g} (val_acc {100 * val:.1f}%)"

        def _send(self, status: str, message: str) -> None:
            folder = self.run_dir
            files = {n: (folder / n).read_bytes() for n in RECORD_FILES if folder is not None and (folder / n).is_file()}
            name = folder.name if folder is not None else f"point-{self.index + 1}-not-started"
            self.sent = True
            import ray

            ray.get(self.collector.receive.remote(self.index, name, files, status, message))

    return PointTrial


def _finite(value: float) -> float:
    """Tune compares numbers: a NaN accuracy (an empty split) is reported as 0."""
    return value if math.isfinite(value) else 0.0
