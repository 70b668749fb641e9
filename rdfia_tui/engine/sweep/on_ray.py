"""Sweeps on Ray: each unfinished point of a sweep is a Ray Tune trial, on a local Ray instance or a cluster.

The sweep folder is the same as an in-process sweep's (sweep.json, sweep.csv, one run folder per point), so
the sweep screen, ``runs`` and resuming need no change. How a point travels:
- The driver (this process) keeps the sweep folder and its records, and learns of each trial through a Tune
  callback. It never trains.
- A trial (``PointTrial``, engine.sweep.ray_trial) trains its point with ``fit`` in a thread, in a folder of the node that runs it,
  and reports each epoch's accuracies to Tune (``val_acc`` is the metric ASHA reads).
- When the trial ends (completed, diverged, failed, or stopped early by the scheduler), it sends its run
  folder's files to the ``Collector``, an actor pinned to the driver's node, which writes them into the sweep
  folder. So a point's records land beside the others whichever node trained it, with no shared disk.

Ray is an optional extra: ``pip install -e ".[ray]"`` in the rdfia-tui clone. Nothing here imports it until a Ray sweep starts.
"""

from __future__ import annotations

import dataclasses
import functools
import os
import shutil
import socket
import tempfile
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from rdfia_tui.engine import config as config_mod
from rdfia_tui.engine.control import RunControl
from rdfia_tui.engine.errors import ConfigError
from rdfia_tui.engine.extras import install_line
from rdfia_tui.engine.runs.files import held
from rdfia_tui.engine.runs.status import RunStatus
from rdfia_tui.engine.sweep.plan import SweepPlan
from rdfia_tui.engine.sweep.ray_trial import start_collector, trial_class
from rdfia_tui.engine.sweep.records import PointResult, SweepRecord, result_from_summary
from rdfia_tui.engine.sweep.runner import OnSweepEvent, PointFinished, PointStarted, SweepOutcome, open_sweep_dir, previous_results

INSTALL = f"Ray is not installed; install it with: {install_line('ray')}"
WAIT_FOR_RECORDS_S = 60.0  # how long the driver waits, after Tune returns, for a stopped trial's records


def import_ray() -> Any:
    """The ``ray`` module; ConfigError (one line: how to install it) when the extra is missing."""
    try:
        import ray
        from ray import tune  # noqa: F401 (Tune ships with ray[tune])
    except ImportError:
        raise ConfigError(INSTALL, key="--ray") from None
    return ray


@dataclass(frozen=True)
class RayOptions:
    """``--ray [ADDRESS]``, ``--cpus-per-trial``, ``--gpus-per-trial`` and ``--scheduler``. ``address`` None starts a
    local instance with ``num_cpus`` CPUs (None: every core)."""

    address: str | None = None
    cpus_per_trial: float = 1.0
    gpus_per_trial: float = 0.0
    scheduler: str = "fifo"
    num_cpus: int | None = None


def run_sweep_on_ray(plan: SweepPlan, sweep_dir: Path, on_event: OnSweepEvent = lambda event: None, control: RunControl | None = None,
                     *, data_root: str | Path | None = None, options: RayOptions = RayOptions()) -> SweepOutcome:  # fmt: skip
    """Train every point not already finished in ``sweep_dir`` as a Ray Tune trial; the records are an in-process sweep's.

    ``control.stop`` ends the sweep: running trials stop and are recorded as stopped. Raises ConfigError (Ray not
    installed; a sweep folder holding another sweep), RecordError (the folder cannot be made or is held by another command).
    """
    ray = import_ray()
    open_sweep_dir(sweep_dir, plan)
    results = [previous_results(sweep_dir, plan.points).get(i, PointResult()) for i in range(len(plan.points))]
    record = SweepRecord(plan.definition(), [p.to_json() for p in plan.points], results)
    with held(sweep_dir, "runs this sweep"):
        return RaySweep(ray, plan, sweep_dir, record, on_event, control or RunControl(), options, data_root).run()


class RaySweep:
    """The driver's side of a Ray sweep: starts Ray and Tune, records each point as its trial reports."""

    def __init__(self, ray: Any, plan: SweepPlan, sweep_dir: Path, record: SweepRecord, on_event: OnSweepEvent, control: RunControl,
                 options: RayOptions, data_root: str | Path | None) -> None:  # fmt: skip
        self.ray, self.plan, self.sweep_dir, self.record = ray, plan, sweep_dir, record
        self.on_event, self.control, self.options, self.data_root = on_event, control, options, data_root
        self.reported: set[int] = set()

    def save(self) -> None:
        from rdfia_tui.engine.sweep.records import write_sweep

        write_sweep(self.sweep_dir, self.record.to_json())

    def run(self) -> SweepOutcome:
        """Skip the finished points, run the others as trials, and record the outcome (completed, failed or stopped)."""
        results, total = self.record.results, len(self.record.results)
        todo = [i for i, r in enumerate(results) if not r.finished]
        for i, point in enumerate(self.plan.points):
            if i not in todo:
                self.on_event(PointFinished(i + 1, total, point, results[i], skipped=True))
        self.save()
        try:
            if todo and not self.control.stop.is_set():
                self.tune(todo)
        finally:
            self.record.status = self.final_status()
            self.save()
        return SweepOutcome(self.sweep_dir, self.record.status, self.plan, results)

    def final_status(self) -> RunStatus:
        results = self.record.results
        if self.control.stop.is_set() or any(r.status in (RunStatus.STOPPED, RunStatus.RUNNING, "pending") for r in results):
            return RunStatus.STOPPED
        return RunStatus.FAILED if any(r.status == RunStatus.FAILED for r in results) else RunStatus.COMPLETED

    def tune(self, todo: list[int]) -> None:
        """Start (or join) Ray, run the trials, then wait for the records of trials stopped from outside."""
        ray = self.ray
        started_here = not ray.is_initialized()
        if started_here:
            start_ray(ray, self.options)
        scratch = Path(tempfile.mkdtemp(prefix="rdfia-tui-tune-"))  # Tune's own bookkeeping; the records are the sweep folder's
        try:
            check_resources(ray, self.options)
            collector = start_collector(ray, self.sweep_dir)
            self.tuner(todo, collector, scratch).fit()
            for i in todo:
                self.take(collector, i, WAIT_FOR_RECORDS_S)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
            if started_here:
                ray.shutdown()

    def tuner(self, todo: list[int], collector: Any, scratch: Path) -> Any:
        """Tune's Tuner: one trial per point of ``todo``, its bookkeeping in ``scratch``, silent (the sweep prints its own lines)."""
        from ray import tune

        os.environ.setdefault("RAY_AIR_NEW_OUTPUT", "0")  # the new output engine prints its tables even at verbose=0

        configs = [config_mod.dumps(p.config) for p in self.plan.points]
        threads = max(1, int(self.options.cpus_per_trial))
        trainable = tune.with_parameters(
            trial_class(), configs=configs, data_root=str(self.data_root or ""), collector=collector, threads=threads
        )
        resources = {"cpu": self.options.cpus_per_trial, "gpu": self.options.gpus_per_trial}
        run_config = tune.RunConfig(
            storage_path=str(scratch), name="sweep", verbose=0, callbacks=[tune_classes().SweepCallback(self, collector)],
            stop=tune_classes().SweepStopper(self.control), checkpoint_config=tune.CheckpointConfig(checkpoint_at_end=False),
        )  # fmt: skip
        tune_config = tune.TuneConfig(scheduler=scheduler(self.options.scheduler, self.plan), reuse_actors=False)
        return tune.Tuner(tune.with_resources(trainable, resources), param_space={"index": tune.grid_search(todo)},
                          tune_config=tune_config, run_config=run_config)  # fmt: skip

    def started(self, i: int) -> None:
        self.record.results[i] = PointResult(status=RunStatus.RUNNING)
        self.save()
        self.on_event(PointStarted(i + 1, len(self.record.results), self.plan.points[i]))

    def take(self, collector: Any, i: int, wait_s: float, failed: str = "") -> None:
        """The trial's records, once they are in the sweep folder: point ``i``'s result, recorded and announced.
        ``failed``: the trial errored, so no records are coming: the point failed with that message."""
        if i in self.reported:
            return
        arrived = self.ray.get(collector.take.remote(i, wait_s))
        if arrived is None:
            if failed or wait_s >= WAIT_FOR_RECORDS_S:
                message = failed or "the trial ended without sending its records"
                self.record.results[i] = PointResult(status=RunStatus.FAILED, message=message)
                self.finish(i)
            return
        name, summary, status, message = arrived
        if status == RunStatus.PRUNED and self.control.stop.is_set():
            status, message = str(RunStatus.STOPPED), "the sweep was stopped"  # Tune stopped it for us, not ASHA
        result = result_from_summary(summary, name) if summary else PointResult(status=RunStatus.FAILED, run_dir=name)
        self.record.results[i] = dataclasses.replace(result, status=status, message=message or result.message)
        self.finish(i)

    def finish(self, i: int) -> None:
        self.reported.add(i)
        self.save()
        self.on_event(PointFinished(i + 1, len(self.record.results), self.plan.points[i], self.record.results[i]))


def start_ray(ray: Any, options: RayOptions) -> None:
    """Join the cluster at ``options.address``, or start a local instance; ConfigError (one line) when it cannot be reached
    (a HOST:PORT that takes no connection within 5 s is refused at once: Ray itself retries for minutes)."""
    check_reachable(options.address)
    try:
        ray.init(address=options.address, num_cpus=None if options.address else options.num_cpus,
                 include_dashboard=False, log_to_driver=False, configure_logging=False)  # fmt: skip
    except (ConnectionError, RuntimeError, ValueError) as exc:
        where = f"the Ray cluster at {options.address}" if options.address else "a local Ray instance"
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ConfigError(f"could not start or join {where} ({first}); check the address with 'ray status'", key="--ray") from None


def check_reachable(address: str | None, timeout_s: float = 5.0) -> None:
    """ConfigError when ``address`` is HOST:PORT and nothing there takes a TCP connection (``auto`` and ``ray://`` are Ray's to find)."""
    if not address or address == "auto" or "://" in address or ":" not in address:
        return
    host, _, port = address.rpartition(":")
    try:
        with socket.create_connection((host, int(port)), timeout=timeout_s):
            return
    except (OSError, ValueError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
        raise ConfigError(f"--ray {address}: no Ray cluster answers there ({reason}); start one with 'ray start --head' "
                          "or give its address as 'ray status' shows it", key="--ray") from None  # fmt: skip


def check_resources(ray: Any, options: RayOptions) -> None:
    """ConfigError when no node of the cluster could ever hold one trial: Tune would wait for it without end."""
    total = ray.cluster_resources()
    for name, flag, asked in (("CPU", "--cpus-per-trial", options.cpus_per_trial), ("GPU", "--gpus-per-trial", options.gpus_per_trial)):
        have = float(total.get(name, 0.0))
        if asked > have:
            raise ConfigError(f"{flag} {asked:g}: the Ray cluster has {have:g} {name}s in all; ask for at most {have:g}", key=flag)


def scheduler(name: str, plan: SweepPlan) -> Any:
    """Tune's scheduler for ``--scheduler``: FIFO (every trial runs its epochs) or ASHA on ``val_acc`` (higher is better),
    with rungs from epoch 1 to the sweep's epochs."""
    from ray.tune.schedulers import ASHAScheduler, FIFOScheduler

    if name == "asha":
        epochs = max(p.config.train.epochs for p in plan.points)
        return ASHAScheduler(time_attr="epoch", metric="val_acc", mode="max", max_t=max(epochs, 1), grace_period=1, reduction_factor=2)
    return FIFOScheduler()


@functools.cache
def tune_classes() -> SimpleNamespace:
    """The driver's classes Tune calls, built on first use: subclasses of Ray's, so importing this module never
    imports Ray. Tune saves its experiment state with pickle; what it saves of them is empty (they hold the live
    sweep, which is no state to restore)."""
    from ray import tune

    class SweepCallback(tune.Callback):
        """Tune's callbacks, in the driver: a trial started, or ended (its records then come through the Collector).
        Tune saves its experiment state with pickle; what it saves of this is empty (the live sweep is no state to restore)."""

        def __init__(self, sweep: RaySweep, collector: Any) -> None:
            self.sweep, self.collector = sweep, collector

        def __getstate__(self) -> dict:
            return {}

        def on_trial_start(self, iteration: int, trials: list, trial: Any, **info: Any) -> None:
            self.sweep.started(int(trial.config["index"]))

        def on_trial_complete(self, iteration: int, trials: list, trial: Any, **info: Any) -> None:
            self.sweep.take(self.collector, int(trial.config["index"]), 0.5)  # a pruned trial's records come later

        def on_trial_error(self, iteration: int, trials: list, trial: Any, **info: Any) -> None:
            failed = f"the Ray trial failed; Ray's log: {trial.path}"
            self.sweep.take(self.collector, int(trial.config["index"]), 0.5, failed=failed)

    class SweepStopper(tune.Stopper):
        """Stops every trial once ``control.stop`` is set (Ctrl-C, SIGTERM); pickled empty, as SweepCallback."""

        def __init__(self, control: RunControl) -> None:
            self.control = control

        def __getstate__(self) -> dict:
            return {}

        def __call__(self, trial_id: str, result: dict) -> bool:
            return self.control.stop.is_set()

        def stop_all(self) -> bool:
            return self.control.stop.is_set()

    return SimpleNamespace(SweepCallback=SweepCallback, SweepStopper=SweepStopper)
