"""The bundled fake as a benchmark's upstream, in its own process: `FakeServer("--images", "1000")`."""

from __future__ import annotations

import signal
import subprocess
import sys

__all__ = ["FakeServer"]


class FakeServer:
    """`python -m modelarts_async.testing serve` on a free port with `options`; `url`; `close()` stops it (SIGINT,
    then SIGTERM)."""

    def __init__(self, *options: str) -> None:
        command = [sys.executable, "-m", "modelarts_async.testing", "serve", "--port", "0", *options]
        self.proc = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline().strip()
        if not line.startswith("http://"):
            self.close()
            raise RuntimeError(f"the fake server did not start: {line!r}")
        self.url = line

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.terminate()
                self.proc.wait(timeout=10)
