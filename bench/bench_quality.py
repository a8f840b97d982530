"""What quality assessment (DCAT-AP SHACL validation + MQA score) costs inside a harvest.

The synthetic catalog of `bench/catalog.py` (N datasets x 3 distributions, RDF/XML pages)
is harvested into a fresh database twice per round: once with `MOISSON_QUALITY__ENABLED=false`
(the reference) and once with assessment on, alternating the order from round to round so
that the machine's drift does not favour either. Printed per round and as the median: wall
and CPU time of both first runs and their ratio, and where the extra time went (validation
engine calls, MQA scoring, the rest: RDF of the records, storing results).

    PYTHONPATH=src python -m bench.bench_quality [--datasets 2000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import time
from collections.abc import Callable, Iterator
from typing import Any

from bench.bench_pipeline import catalog_process, create_source, fresh_database, harvest
from moisson.config import QualitySettings, Settings
from moisson.harvest import quality as hook
from moisson.quality import validation
from moisson.storage.session import make_engine, make_sessionmaker


class Clock:
    def __init__(self) -> None:
        self.seconds: dict[str, float] = {"validate": 0.0, "score": 0.0}

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
    evaluate, score = hook.evaluate, hook.score
    validation.Validator.validate_records = clock.wrap("validate", validate)  # type: ignore[method-assign]
    hook.evaluate = clock.wrap("score", evaluate)
    hook.score = clock.wrap("score", score)
    try:
        yield
    finally:
        validation.Validator.validate_records = validate  # type: ignore[method-assign]
        hook.evaluate, hook.score = evaluate, score


def first_run(url: str, enabled: bool, datasets: int) -> tuple[float, float, Clock]:
    clock = Clock()
    with fresh_database(None) as db_url:
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            database_url=db_url,
            outbound_allow_networks="127.0.0.0/8",  # type: ignore[arg-type]
            quality=QualitySettings(enabled=enabled),
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
    if enabled and job.quality_assessed != datasets:
        raise SystemExit(f"only {job.quality_assessed} items assessed: the benchmark is void")
    return figures.seconds, figures.cpu_seconds, clock


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

    walls, cpus = [], []
    per_thousand = {"validate": [], "score": []}  # type: dict[str, list[float]]
    with catalog_process(args.datasets, args.page_size) as url:
        print(f"catalog: {args.datasets} datasets x 3 distributions, served on {url}")
        print(f"engine set-up (once per worker thread): {setup:.2f}s CPU")
        for round_ in range(args.rounds):
            order = (False, True) if round_ % 2 == 0 else (True, False)
            results = {enabled: first_run(url, enabled, args.datasets) for enabled in order}
            (off_wall, off_cpu, _), (on_wall, on_cpu, clock) = results[False], results[True]
            walls.append(on_wall / off_wall)
            cpus.append(on_cpu / off_cpu)
            for name in per_thousand:
                per_thousand[name].append(clock.seconds[name] * 1000 / args.datasets)
            print(
                f"round {round_ + 1}: off {off_wall:.1f}s wall / {off_cpu:.1f}s CPU, "
                f"on {on_wall:.1f}s / {on_cpu:.1f}s: x{walls[-1]:.2f} wall, x{cpus[-1]:.2f} CPU; "
                f"per 1,000 datasets: validation {per_thousand['validate'][-1]:.2f}s CPU, "
                f"scoring {per_thousand['score'][-1]:.2f}s CPU"
            )
    print(
        f"\nmedian: first harvest with assessment = x{statistics.median(walls):.2f} wall, "
        f"x{statistics.median(cpus):.2f} CPU of the same run without; per 1,000 datasets "
        f"x 3 distributions: validation {statistics.median(per_thousand['validate']):.2f}s, "
        f"MQA scoring {statistics.median(per_thousand['score']):.2f}s CPU"
    )


if __name__ == "__main__":
    main()
