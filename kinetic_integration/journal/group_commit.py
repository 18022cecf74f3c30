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
of the batch (none of them is on disk), and so does an error that makes SQLite roll the
whole transaction back (a full disk, an I/O error): a caller is told "written" only by a
commit. Every call is settled whatever fails, and one thread at a time uses the connection.
"""

from __future__ import annotations

import asyncio
import queue
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
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
            _undo_savepoint(db)
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


def _undo_savepoint(db: sqlite3.Connection) -> None:
    """Undo a failed block's savepoint; the caller re-raises the block's own error.

    A full disk, an I/O error, memory running out or an interrupt can make SQLite roll
    back the whole transaction, savepoint and all: then there is nothing to undo here
    (and ``ROLLBACK TO`` would only hide the real error). The batch sees the transaction
    gone and fails every call of it. If the savepoint cannot be undone, the whole
    transaction is, rather than committing a failed call's changes.
    """
    if not db.in_transaction:
        return
    try:
        db.execute("ROLLBACK TO call")
        db.execute("RELEASE call")
    except sqlite3.Error:
        _roll_back(db)


def _roll_back(db: sqlite3.Connection) -> None:
    """End a transaction that must not be committed, whatever state the connection is in."""
    # If even that fails, the connection is beyond use; the error its callers get says why.
    with suppress(sqlite3.Error):
        if db.in_transaction:
            db.execute("ROLLBACK")


def _settle(future: asyncio.Future[Any], ok: bool, value: Any) -> None:
    if future.done():  # the caller was cancelled; the call itself ran
        return
    if ok:
        future.set_result(value)
    else:
        future.set_exception(value)


def _hand_over(call: _Call, ok: bool, value: Any) -> None:
    """Settle a call's future in its own loop (from the writer thread)."""
    with suppress(RuntimeError):  # its loop is closed: nobody awaits the call any more
        call.loop.call_soon_threadsafe(_settle, call.future, ok, value)


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
        #: The thread was told to end: the next call starts another, with a queue of its own.
        self._stopped = False
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
            if self._stopped or self._thread is None or not self._thread.is_alive():
                if self._stopped:  # the old thread still serves what was queued before
                    self._queue = queue.SimpleQueue()
                self._thread = threading.Thread(
                    target=self._serve,
                    args=(self._queue, self._thread),
                    name="kinetic-journal",
                    daemon=True,
                )
                self._stopped = False
                self._thread.start()
            self._queue.put(call)
        return await call.future

    def stop(self) -> None:
        """End the thread once the calls queued before are done (from any thread)."""
        with self._start:
            if self._thread is not None and not self._stopped:
                self._queue.put(None)
                self._stopped = True

    def _serve(
        self, calls: queue.SimpleQueue[_Call | None], previous: threading.Thread | None
    ) -> None:
        if previous is not None:
            previous.join()  # never two threads on the one connection
        waiting: list[_Call | None] = []
        while True:
            first = waiting.pop() if waiting else calls.get()
            if first is None:
                return
            if first.alone:
                self._run_alone(first)
                continue
            batch = [first]
            while True:
                try:
                    more = calls.get_nowait()
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
        _hand_over(call, *outcome)

    def _run_batch(self, batch: list[_Call]) -> None:
        """Run and commit a batch; every call of it is settled, whatever goes wrong."""
        try:
            outcomes = self._commit(batch)
        except BaseException as err:  # nothing of the batch is on disk: each caller learns why
            outcomes = [(False, err)] * len(batch)
        self.commits += 1
        self.calls += len(batch)
        for call, (ok, value) in zip(batch, outcomes, strict=True):
            _hand_over(call, ok, value)

    def _commit(self, batch: list[_Call]) -> list[tuple[bool, Any]]:
        db = self._connection()
        try:
            db.execute("BEGIN IMMEDIATE")
            outcomes: list[tuple[bool, Any]] = []
            first = 0  # the first call of the open transaction
            for index, call in enumerate(batch):
                try:
                    outcomes.append((True, call.func(*call.args)))
                except BaseException as err:  # handed to its caller
                    outcomes.append((False, err))
                if db.in_transaction:
                    continue
                # SQLite rolled the whole transaction back (a full disk, an I/O error) or
                # the call ended it: none of its calls is known to be on disk.
                ok, lost = outcomes[index]
                if ok:
                    lost = sqlite3.OperationalError("A journal call ended the transaction")
                outcomes[first:] = [(False, lost)] * (index + 1 - first)
                first = index + 1
                if first < len(batch):
                    db.execute("BEGIN IMMEDIATE")
            if first < len(batch):
                db.execute("COMMIT")
        except BaseException:
            _roll_back(db)
            raise
        return outcomes
