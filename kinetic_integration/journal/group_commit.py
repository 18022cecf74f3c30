"""Group commit: one writer thread for a journal's one connection, one commit per batch.

A long-running process (Home Assistant) keeps one SQLite connection open, and every call
on it used to take a worker thread of its own and a commit of its own, in turn. Under load
(thirty sales at once) the calls queued for threads and for the connection, and each
commit waited for the one before it. Here one thread serves the connection: it takes
every call queued meanwhile, runs them in order inside one IMMEDIATE transaction (each
call's own changes in a savepoint, so a call that fails undoes only itself) and commits
once. A call's future is settled only after that commit returned, so whoever awaits a
write still gets it on disk (``synchronous=FULL``) before going on: the intent before
its request leaves, the outcome before it is announced. A failed commit fails every call
of the batch (none of them is on disk).
"""

from __future__ import annotations

import asyncio
import queue
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class _Call:
    func: Callable[..., Any]
    args: tuple[Any, ...]
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[Any] = field(repr=False)
    #: Run outside any transaction, after the calls before it are committed (closing).
    alone: bool = False


@contextmanager
def immediate(db: sqlite3.Connection) -> Iterator[None]:
    """Run a block in an IMMEDIATE transaction (committed at its end, undone on error).

    Inside a group commit's transaction: a savepoint of it, so that a failure undoes
    this block's changes only and the batch's commit carries the rest.
    """
    if db.in_transaction:
        db.execute("SAVEPOINT call")
        try:
            yield
        except BaseException:
            db.execute("ROLLBACK TO call")
            db.execute("RELEASE call")
            raise
        db.execute("RELEASE call")
        return
    db.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


def _settle(future: asyncio.Future[Any], ok: bool, value: Any) -> None:
    if future.done():  # the caller was cancelled; the call itself ran
        return
    if ok:
        future.set_result(value)
    else:
        future.set_exception(value)


class GroupCommitter:
    """Runs calls on ``connection()``'s connection in one thread, a commit per batch.

    ``connection`` returns the open connection (opening it if needed); it and every call
    run in the writer thread only. :meth:`stop` ends the thread after the calls queued.
    """

    def __init__(self, connection: Callable[[], sqlite3.Connection]) -> None:
        """Prepare; the thread starts with the first call."""
        self._connection = connection
        self._queue: queue.SimpleQueue[_Call | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._start = threading.Lock()
        #: Commits done and calls they carried (how well calls are grouped).
        self.commits = 0
        self.calls = 0

    async def run(self, func: Callable[..., Any], *args: Any, alone: bool = False) -> Any:
        """Run ``func(*args)`` in the writer thread; return once its batch is committed.

        ``alone``: outside any transaction, once everything queued before is committed.
        """
        loop = asyncio.get_running_loop()
        call = _Call(func, args, loop, loop.create_future(), alone)
        with self._start:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._serve, name="kinetic-journal", daemon=True
                )
                self._thread.start()
            self._queue.put(call)
        return await call.future

    def stop(self) -> None:
        """End the thread once the calls queued before are done (from any thread)."""
        with self._start:
            if self._thread is not None:
                self._queue.put(None)
                self._thread = None

    def _serve(self) -> None:
        waiting: list[_Call | None] = []
        while True:
            first = waiting.pop() if waiting else self._queue.get()
            if first is None:
                return
            if first.alone:
                self._run_alone(first)
                continue
            batch = [first]
            while True:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is None or more.alone:
                    waiting.append(more)  # after this batch's commit
                    break
                batch.append(more)
            self._run_batch(batch)

    def _run_alone(self, call: _Call) -> None:
        try:
            outcome: tuple[bool, Any] = (True, call.func(*call.args))
        except BaseException as err:  # handed to its caller
            outcome = (False, err)
        if not call.loop.is_closed():
            call.loop.call_soon_threadsafe(_settle, call.future, *outcome)

    def _run_batch(self, batch: list[_Call]) -> None:
        outcomes: list[tuple[bool, Any]] = []
        try:
            db = self._connection()
            db.execute("BEGIN IMMEDIATE")
        except BaseException as err:  # handed to every caller
            outcomes = [(False, err)] * len(batch)
        else:
            for call in batch:
                try:
                    outcomes.append((True, call.func(*call.args)))
                except BaseException as err:  # handed to its caller
                    outcomes.append((False, err))
            try:
                if db.in_transaction:  # a call may have ended it (an executescript commits)
                    db.execute("COMMIT")
            except BaseException as err:  # nothing of the batch is on disk
                if db.in_transaction:
                    db.execute("ROLLBACK")
                outcomes = [(False, err)] * len(batch)
            self.commits += 1
            self.calls += len(batch)
        for call, (ok, value) in zip(batch, outcomes, strict=True):
            if not call.loop.is_closed():
                call.loop.call_soon_threadsafe(_settle, call.future, ok, value)
