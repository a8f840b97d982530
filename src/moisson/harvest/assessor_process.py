"""Quality assessment in a child process, beside the harvest (`docs/quality.md`).

The SHACL engine's time per record is larger than everything else a first harvest does for
that record (`bench/README.md`, bench_quality). Run in the harvesting process, it doubles a
first harvest; run in a process of its own, on the machine's other core, the harvest does not
wait for it. The hook hands each batch of records (their serialised N-Triples) to
`AssessorProcess.send` and goes on; results come back in order and are stored at the
hook's next flush, the last ones once the job's last commit is done.

The child is `python -m moisson.harvest.assessor_process`, started with `subprocess` (not
`multiprocessing`: a job may itself run in a daemonic child of `moisson serve`, which
`multiprocessing` forbids to have children). Frames on its stdin and stdout are pickles
prefixed by their length; the first one sent is the `RecordAssessor`. The child imports no
database, HTTP or settings code. It dies with its stdin: when the parent closes it, or dies.
If it fails, the records it held are assessed in the harvesting process instead
(`AssessorProcess.failed`).
"""

from __future__ import annotations

import contextlib
import logging
import pickle
import queue
import struct
import subprocess
import sys
import threading
import time
from typing import IO, Any

from moisson.quality.assessor import Outcome, RecordAssessor

logger = logging.getLogger(__name__)

_LENGTH = struct.Struct("!Q")
#: Seconds the parent waits for the child to end once told to.
STOP_TIMEOUT = 10.0

BatchResult = list[Outcome | None]


def _write(stream: IO[bytes], value: Any) -> None:
    data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_LENGTH.pack(len(data)))
    stream.write(data)
    stream.flush()


def _read(stream: IO[bytes]) -> Any:
    head = stream.read(_LENGTH.size)
    if len(head) < _LENGTH.size:
        raise EOFError
    (size,) = _LENGTH.unpack(head)
    data = stream.read(size)
    if len(data) < size:
        raise EOFError
    return pickle.loads(data)  # noqa: S301 (frames of our own child process, over its pipes)


class AssessorProcess:
    """A child process assessing batches of records in the order they were submitted."""

    def __init__(self, assessor: RecordAssessor) -> None:
        self._process = subprocess.Popen(
            [sys.executable, "-m", "moisson.harvest.assessor_process"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        # Both pipes exist: asked for above (`Popen` types them as optional).
        self._stdin: IO[bytes] = self._process.stdin  # type: ignore[assignment]
        self._stdout: IO[bytes] = self._process.stdout  # type: ignore[assignment]
        self._outbox: queue.Queue[Any] = queue.Queue()
        self._results: queue.Queue[tuple[int, BatchResult] | None] = queue.Queue()
        self._submitted = 0
        self._received = 0
        self.failed = False
        """The child died or answered nonsense: what it held will not come back."""
        self.child_cpu_seconds: float | None = None
        """CPU time the child used, once it has ended (`close`)."""
        self._outbox.put(assessor)
        self._writer = threading.Thread(
            target=self._write_all, name="moisson-assess-w", daemon=True
        )
        self._reader = threading.Thread(target=self._read_all, name="moisson-assess-r", daemon=True)
        self._writer.start()
        self._reader.start()

    @property
    def outstanding(self) -> int:
        """Batches submitted and not yet taken back."""
        return self._submitted - self._received

    def send(self, records: list[tuple[bool, str]]) -> int:
        """Queue a batch of (is a dataset, serialised record); its number is returned. Never
        waits for the child."""
        number = self._submitted
        self._submitted += 1
        self._outbox.put((number, records))
        return number

    def take(self, *, wait: bool = False) -> list[tuple[int, BatchResult]]:
        """The batches answered since the last call; with `wait`, every outstanding one (or
        until the child fails)."""
        done: list[tuple[int, BatchResult]] = []
        while self.outstanding and not self.failed:
            try:
                answer = self._results.get(block=wait)
            except queue.Empty:
                break
            if answer is None:  # the reader stopped: the child is gone
                self.failed = True
                break
            self._received += 1
            done.append(answer)
        return done

    def close(self) -> None:
        """Tell the child to end, and wait for it a while (then kill it)."""
        self._outbox.put(None)
        self._writer.join(STOP_TIMEOUT)
        try:
            self._process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            logger.warning("The assessment process did not end: killed")
            self._process.kill()
            self._process.wait()
        self._reader.join(STOP_TIMEOUT)
        self._stdout.close()

    def _write_all(self) -> None:
        stdin = self._stdin
        try:
            while True:
                item = self._outbox.get()
                if item is None:
                    break
                _write(stdin, item)
        except (BrokenPipeError, OSError, ValueError):
            logger.warning("The assessment process stopped reading")
        finally:
            with contextlib.suppress(OSError):
                stdin.close()

    def _read_all(self) -> None:
        stdout = self._stdout
        try:
            while True:
                frame = _read(stdout)
                if frame[0] == "cpu":
                    self.child_cpu_seconds = float(frame[1])
                    continue
                self._results.put((int(frame[0]), frame[1]))
        except EOFError:
            pass
        except Exception:
            logger.exception("The assessment process answered what cannot be read")
        finally:
            self._results.put(None)


def _child_main() -> None:
    """Read the assessor, then batches until stdin closes; answer each batch in order."""
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # nothing but frames may go to the parent's pipe
    assessor: RecordAssessor = _read(stdin)
    while True:
        try:
            number, records = _read(stdin)
        except EOFError:
            break
        _write(stdout, (number, assessor.assess_texts(records)))
    _write(stdout, ("cpu", time.process_time()))


if __name__ == "__main__":
    _child_main()
