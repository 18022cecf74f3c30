"""A package index on loopback: a PEP 503 "simple" folder served by Python's http.server."""

from __future__ import annotations

import hashlib
import html
import re
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any


def _normalize(name: str) -> str:
    """PEP 503's normalized project name."""
    return re.sub(r"[-_.]+", "-", name).lower()


def write_simple_index(root: Path, project: str, files: Sequence[Path], requires: str) -> None:
    """Lay out ``root`` as a simple index that offers ``files`` as ``project``."""
    name = _normalize(project)
    (root / "files").mkdir(parents=True)
    (root / "simple" / name).mkdir(parents=True)
    links = []
    for file in files:
        (root / "files" / file.name).write_bytes(file.read_bytes())
        digest = hashlib.sha256(file.read_bytes()).hexdigest()
        links.append(
            f'<a href="../../files/{html.escape(file.name)}#sha256={digest}" '
            f'data-requires-python="{html.escape(requires)}">{html.escape(file.name)}</a><br>'
        )
    page = "<!DOCTYPE html>\n<html><body>\n{}\n</body></html>\n"
    (root / "simple" / "index.html").write_text(page.format(f'<a href="{name}/">{name}</a>'))
    (root / "simple" / name / "index.html").write_text(page.format("\n".join(links)))


@dataclass
class ServedIndex:
    """A running index: its URL, and every path requested from it (in order)."""

    url: str
    requests: list[str] = field(default_factory=list)


class _Handler(SimpleHTTPRequestHandler):
    """Serve the folder; record each request instead of printing it."""

    requests: list[str]

    def log_message(self, format: str, *args: Any) -> None:
        """Keep ``"GET /path 200"`` for the test to look at."""
        if format == '"%s" %s %s':
            request_line, status = str(args[0]), str(args[1])
            method_path = " ".join(request_line.split(" ")[:2])
            self.requests.append(f"{method_path} {status}")


@contextmanager
def serve_index(root: Path, host: str) -> Iterator[ServedIndex]:
    """Serve ``root`` over HTTP on ``host`` (an ephemeral port) while the block runs.

    An ephemeral port gives a new index URL each run, so no tool can answer from a cache
    of an earlier run's index.
    """
    served = ServedIndex(url="")
    handler = type("Handler", (_Handler,), {"requests": served.requests})
    server = ThreadingHTTPServer((host, 0), partial(handler, directory=str(root)))
    served.url = f"http://{host}:{server.server_address[1]}/simple/"
    thread = threading.Thread(target=server.serve_forever, name="simple-index", daemon=True)
    thread.start()
    try:
        yield served
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
