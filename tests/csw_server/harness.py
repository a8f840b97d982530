"""Start a real pycsw 2.6.2 on loopback from Moisson's test process.

pycsw runs in its own virtualenv (`make pycsw-venv` makes `.venv-pycsw` at the top of the
repository; `MOISSON_TEST_PYCSW_PYTHON` names another interpreter). `run_pycsw.py` loads
the records into a fresh SQLite repository and serves them on a free port of 127.0.0.1.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType

REPO = Path(__file__).resolve().parents[2]
RUNNER = Path(__file__).with_name("run_pycsw.py")
START_TIMEOUT = 300.0
"""Seconds for loading and binding, by default (the benchmark's thousands of records on a
loaded machine need more: `start_timeout`)."""


class PycswMissing(RuntimeError):
    pass


def pycsw_python() -> Path:
    """The interpreter of pycsw's virtualenv, or `PycswMissing` saying how to make it."""
    configured = os.environ.get("MOISSON_TEST_PYCSW_PYTHON")
    python = Path(configured) if configured else REPO / ".venv-pycsw" / "bin" / "python"
    if not python.exists():
        raise PycswMissing(
            f"pycsw's virtualenv is missing ({python} does not exist): run `make pycsw-venv` "
            "(or set MOISSON_TEST_PYCSW_PYTHON to a Python with pycsw==2.6.2 installed)"
        )
    return python


class PycswServer:
    """A pycsw process serving `records` (file name -> ISO 19139 XML) with the
    `maxrecords` cap `max_records`, for the duration of a `with` block."""

    def __init__(
        self,
        records: Iterable[tuple[str, bytes]],
        *,
        workdir: Path,
        max_records: int = 10,
        start_timeout: float = START_TIMEOUT,
    ) -> None:
        self.workdir = workdir
        self.start_timeout = start_timeout
        self.max_records = max_records
        self.records_dir = workdir / "records"
        self.records_dir.mkdir(parents=True, exist_ok=True)
        for name, xml in records:
            (self.records_dir / name).write_bytes(xml)
        self.process: subprocess.Popen[str] | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/csw"

    def __enter__(self) -> PycswServer:
        command = [
            str(pycsw_python()),
            "-W",
            "ignore",
            str(RUNNER),
            "--records",
            str(self.records_dir),
            "--workdir",
            str(self.workdir),
            "--max-records",
            str(self.max_records),
        ]
        self._stderr = (self.workdir / "stderr.log").open("w")
        self.process = subprocess.Popen(  # noqa: S603 - our own runner, no shell
            command, stdout=subprocess.PIPE, stderr=self._stderr, text=True
        )
        first_line: list[str] = []
        reader = threading.Thread(
            target=lambda: first_line.append(self.process.stdout.readline()),  # type: ignore[union-attr]
            daemon=True,
        )
        reader.start()
        reader.join(self.start_timeout)
        line = first_line[0] if first_line else ""
        if not line.startswith("port "):
            self.stop()
            errors = (self.workdir / "stderr.log").read_text()[-2000:]
            raise RuntimeError(
                f"pycsw did not start within {self.start_timeout:.0f}s: {line!r}\n{errors}"
            )
        self.port = int(line.split()[1])
        return self

    def load_errors(self) -> str:
        """What pycsw logged while loading (refused records, e.g. a duplicate fileIdentifier)."""
        return (self.workdir / "stderr.log").read_text()

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)
        if self.process.stdout is not None:
            self.process.stdout.close()
        self._stderr.close()
        self.process = None

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
        shutil.rmtree(self.records_dir, ignore_errors=True)
