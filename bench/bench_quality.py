"""What quality assessment (DCAT-AP SHACL validation + MQA score) costs inside a harvest.

The synthetic catalog of `bench/catalog.py` (N datasets x 3 distributions, RDF/XML pages)
is harvested into a fresh database three times per round: with `MOISSON_QUALITY__ENABLED=false`
(the reference), with assessment in the separate process (the default), and with it in the
harvesting process (`MOISSON_QUALITY__SEPARATE_PROCESS=false`), the order rotating from round
to round so that the machine's drift favours none. For each run:

- "done": wall and CPU time of the harvesting process from the pipeline's start to the job's
  final commit (status `done`): what the harvest's critical path costs;
- "all": until `run_job` returns, every assessment stored (with the separate process, its
  last results are stored after the job's final commit);
- the separate process's own CPU time (another process, on the other core).

Printed per round and as the median, as ratios to the reference of the same round.

    PYTHONPATH=src python -m bench.bench_quality [--datasets 2000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from bench.bench_pipeline import catalog_process, create_source, fresh_database, harvest
from moisson.config import QualitySettings, Settings
from moisson.harvest import assessor_process
from moisson.harvest import engine as engine_module
from moisson.quality import assessor, validation
from moisson.storage.session import make_engine, make_sessionmaker

MODES = ("off", "separate", "inline")


@dataclass
class Clock:
    seconds: dict[str, float] = field(default_factory=lambda: {"validate": 0.0, "score": 0.0})
    started: tuple[float, float] = (0.0, 0.0)
    done: tuple[float, float] = (0.0, 0.0)
    """(wall, CPU) from the pipeline's start to the end of its final commit."""
    child_cpu: float = 0.0

    def wrap(self, name: str, function: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            start = time.process_time()
            try:
                return function(*args, **kwargs)
            finally:
                self.seconds[name] += time.process_time() - start

        return timed


@contextlib.contextmanager
def clocked(clock: Clock) -> Iterator[None]:
    validate = validation.Validator.validate_records
    evaluate = assessor.evaluate
    run, finish = engine_module.Pipeline.run, engine_module.Pipeline._finish
    close = assessor_process.AssessorProcess.close

    def timed_run(pipeline: Any) -> None:
        clock.started = (time.perf_counter(), time.process_time())
        run(pipeline)

    def timed_finish(pipeline: Any) -> None:
        finish(pipeline)
        wall, cpu = time.perf_counter(), time.process_time()
        clock.done = (wall - clock.started[0], cpu - clock.started[1])

    def counted_close(process: Any) -> None:
        close(process)
        clock.child_cpu += process.child_cpu_seconds or 0.0

    validation.Validator.validate_records = clock.wrap("validate", validate)  # type: ignore[method-assign]
    assessor.evaluate = clock.wrap("score", evaluate)
    engine_module.Pipeline.run = timed_run  # type: ignore[method-assign]
    engine_module.Pipeline._finish = timed_finish  # type: ignore[method-assign]
    assessor_process.AssessorProcess.close = counted_close  # type: ignore[method-assign]
    try:
        yield
    finally:
        validation.Validator.validate_records = validate  # type: ignore[method-assign]
        assessor.evaluate = evaluate
        engine_module.Pipeline.run = run  # type: ignore[method-assign]
        engine_module.Pipeline._finish = finish  # type: ignore[method-assign]
        assessor_process.AssessorProcess.close = close  # type: ignore[method-assign]


@dataclass
class RunResult:
    wall: float
    cpu: float
    clock: Clock


def first_run(url: str, mode: str, datasets: int) -> RunResult:
    clock = Clock()
    quality = QualitySettings(enabled=mode != "off", separate_process=mode == "separate")
    with fresh_database(None) as db_url:
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            database_url=db_url,
            outbound_allow_networks="127.0.0.0/8",  # type: ignore[arg-type]
            quality=quality,
        )
        engine = make_engine(settings)
        factory = make_sessionmaker(engine)
        source_id = create_source(factory, url)
        with clocked(clock):
            figures, _ = harvest(factory, settings, source_id, profile=False)
        engine.dispose()
    job = figures.job
    if job.status != "done" or job.items_done != datasets:
        raise SystemExit(f"job {job.status} with {job.items_done} done: the benchmark is void")
    if mode != "off" and job.quality_assessed != datasets:
        raise SystemExit(f"only {job.quality_assessed} items assessed: the benchmark is void")
    return RunResult(figures.seconds, figures.cpu_seconds, clock)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--datasets", type=int, default=2000)
    parser.add_argument("--page-size", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    # The engine's one-off set-up (shapes parsed, ~0.5-1 s) is paid once per process and
    # thread, as in a worker: measured apart, and kept out of the rounds.
    start = time.process_time()
    validation.Validator().validate([])
    validation._engine(validation.shapes_text())
    setup = time.process_time() - start

    ratios: dict[str, list[float]] = {}
    with catalog_process(args.datasets, args.page_size) as url:
        print(f"catalog: {args.datasets} datasets x 3 distributions, served on {url}")
        print(f"engine set-up (once per worker thread): {setup:.2f}s CPU")
        for round_ in range(args.rounds):
            shift = round_ % len(MODES)
            order = MODES[shift:] + MODES[:shift]
            results = {mode: first_run(url, mode, args.datasets) for mode in order}
            off = results["off"]
            print(
                f"round {round_ + 1}: off: done {off.clock.done[0]:.2f}s wall / "
                f"{off.clock.done[1]:.2f}s CPU, all {off.wall:.2f}s / {off.cpu:.2f}s"
            )
            for mode in ("separate", "inline"):
                run = results[mode]
                figures = {
                    "done wall": run.clock.done[0] / off.clock.done[0],
                    "done CPU": run.clock.done[1] / off.clock.done[1],
                    "all wall": run.wall / off.wall,
                    "all CPU": run.cpu / off.cpu,
                    "all CPU + child": (run.cpu + run.clock.child_cpu) / off.cpu,
                }
                for name, value in figures.items():
                    ratios.setdefault(f"{mode}: {name}", []).append(value)
                shown = ", ".join(f"{name} x{value:.2f}" for name, value in figures.items())
                print(
                    f"  {mode}: done {run.clock.done[0]:.2f}s / {run.clock.done[1]:.2f}s CPU, "
                    f"all {run.wall:.2f}s / {run.cpu:.2f}s CPU, "
                    f"child {run.clock.child_cpu:.2f}s CPU; {shown}"
                )
    print("\nmedian ratios to the same harvest without assessment:")
    for name, values in ratios.items():
        print(f"  {name}: x{statistics.median(values):.2f}")


if __name__ == "__main__":
    main()
