"""Run one harvest job in a process of its own: `python job_process.py DATABASE_URL JOB_ID`.

The data-safety tests SIGKILL this process at random points of the job.
"""

from __future__ import annotations

import ipaddress
import sys

from moisson.config import HttpSettings, Settings
from moisson.harvest.engine import run_job
from moisson.storage.session import make_engine, make_sessionmaker


def main(database_url: str, job_id: str) -> None:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        environment="testing",
        database_url=database_url,
        outbound_allow_networks=[ipaddress.IPv4Network("127.0.0.1/32")],
        http=HttpSettings(connect_timeout=2.0, read_timeout=5.0, max_retries=0),
    )
    engine = make_engine(settings)
    try:
        run_job(make_sessionmaker(engine), settings, job_id)
    finally:
        engine.dispose()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
