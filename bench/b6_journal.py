"""B6 journal at scale: a sale's journal cost and bytes with 0, 10,000 and 36,000 records.

One real Home Assistant in this process, one ``HomeAssistantJournal`` per size, each in a
directory of its own on the same disk, filled beforehand with records shaped like ours (a
venue's 400 a day, spread over the days the size covers; four terminals). Sales run
interleaved, one on each journal in turn (the order turning every round), after a
warm-up, so every size sees the same machine at the same moment. A sale is the journal
work of one ``kinetic.start_sale`` in the order the integration does it: the duplicate
check (staged details and the records at hand), the lookup (a reference we made up, as
``start_sale`` without one: answered without reading the file) and the intent, "sent",
the result, the lookup of the record, the card details, "announced" (written in the
background, waited for here so its bytes count), then Sales today summed again. Its
cost is wall time; its bytes are this process's ``/proc/self/io`` counters across it:
``write_bytes`` (pages dirtied for the disk, a partly written page counts whole) and
``wchar`` (bytes handed to write calls).

Startup: ``async_load`` of a journal with 36,000 records, five times (each a new journal
on the same file, as a restart is); the slowest is the figure. Before: the same records in a
``Store`` file (the journal up to this release), its load (read and parse) and its cost
per sale, which was five saves of the whole file (the same writes, each one atomic and
fsynced); and the first start's migration of that file.
"""

from __future__ import annotations

import asyncio
import functools
import gc
import json
import os
import secrets
import shutil
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from custom_components.kinetic.journal import ANNOUNCED, HomeAssistantJournal
from custom_components.kinetic.journal_legacy import LEGACY_KEY, LEGACY_VERSION, record_from_json
from custom_components.kinetic.sensor import sales_today
from kinetic_integration.journal import JournalRecord, JournalState, SqliteJournal
from kinetic_integration.models.common import TransactionResult, TransactionType

from .common import percentile
from .hass_env import home_assistant

PER_DAY = 400
TERMINALS = ("device-service:127.0.6.1:8526", "kinetic-go:KG2B6000001", "kinetic-go:KG2B6000002")
SELLER = "kinetic-go:KG2B6SELLER"
#: The writes of one sale in the Store journal: intent, sent, result, card details, announced.
STORE_SAVES_PER_SALE = 5
#: Sales on each size before the measured ones (imports, first queries, page cache).
WARMUP = 20
#: Startups measured (each a new journal on the largest file); the slowest is the figure.
STARTUPS = 5


def _history(count: int) -> Iterator[tuple[JournalRecord, dict[str, Any]]]:
    """``count`` finished sales, ``PER_DAY`` a day back from now, announced."""
    now = datetime.now(UTC)
    for index in range(count):
        at = now - timedelta(days=index / PER_DAY, seconds=30)
        terminal = (*TERMINALS, SELLER)[index % 4]
        yield (
            JournalRecord(
                reference=f"hist-{index:06d}-{secrets.token_hex(4)}",
                terminal=terminal,
                type=TransactionType.SALE,
                amount=f"{10 + index % 90}.{index % 100:02d}",
                state=JournalState.FINAL,
                result=TransactionResult.APPROVED,
                terminal_id=f"T{index:08d}",
                message="Approved",
                created_at=at - timedelta(seconds=20),
                updated_at=at,
                claim=secrets.token_hex(16),
            ),
            {
                "entry_id": "01JBENCHENTRY000000000000",
                "table": str(index % 40),
                "order_id": f"order-{index}",
                "masked_pan": "************1111",
                "card_network": "Visa",
                "entry_mode": "contactless",
                "auth_code": f"{index % 1000000:06d}",
                "tip": "1.00",
                ANNOUNCED: True,
            },
        )


def _store_json(record: JournalRecord, details: dict[str, Any]) -> dict[str, Any]:
    """One record as the Store journal saved it."""
    return {
        "reference": record.reference,
        "terminal": record.terminal,
        "amount": record.amount,
        "terminal_id": record.terminal_id,
        "message": record.message,
        "claim": record.claim,
        "answered_error": record.answered_error,
        "type": record.type.value,
        "state": record.state.value,
        "result": record.result.value if record.result else None,
        "created_at": record.created_at.isoformat(),
        "updated_at": record.updated_at.isoformat(),
        "details": details,
    }


def _io() -> tuple[int, int]:
    with open("/proc/self/io", encoding="ascii") as io:
        fields = dict(line.split(": ") for line in io.read().splitlines())
    return int(fields["write_bytes"]), int(fields["wchar"])


class _Size:
    """One journal size and what its sales measured, over every block."""

    def __init__(self, records: int) -> None:
        self.records = records
        self.seconds: list[float] = []
        #: The part of each sale that is its two scans of the records at hand.
        self.scans: list[float] = []
        self.at_hand_before = 0
        self.at_hand_after = 0
        self.write_bytes = 0
        self.wchar = 0
        self.file_bytes = 0

    def rest(self) -> list[float]:
        """Seconds of each sale without its scans: the journal's reads and writes."""
        return [whole - scans for whole, scans in zip(self.seconds, self.scans, strict=True)]


async def _sale(journal: HomeAssistantJournal, number: int) -> float:
    """Do the journal work of one sale, in the integration's order.

    Return the seconds of its two scans of the records at hand (the duplicate check and
    Sales today), which grow with the day's records rather than with the file.
    """
    scan_started = time.perf_counter()
    reference = f"b6-{number}-{secrets.token_hex(4)}"
    # The duplicate check reads what is staged and at hand, then stages this sale.
    for record in journal.records():
        journal.details(record.reference).get("table")
    journal.stage(reference, {"table": "12", "entry_id": "01JBENCHENTRY000000000000"}, fresh=True)
    scans = time.perf_counter() - scan_started
    assert await journal.get(reference) is None
    claim = secrets.token_hex(16)
    now = datetime.now(UTC)
    record = JournalRecord(
        reference=reference,
        terminal=SELLER,
        type=TransactionType.SALE,
        amount="12.50",
        state=JournalState.PENDING,
        created_at=now,
        updated_at=now,
        claim=claim,
    )
    await journal.begin(record)
    await journal.update(
        reference, state=JournalState.SENT, claim=claim, expect_states=(JournalState.PENDING,)
    )
    await journal.update(
        reference,
        state=JournalState.FINAL,
        result=TransactionResult.APPROVED,
        terminal_id=f"T-{number}",
        message="Approved",
    )
    journal.unstage(reference)
    await journal.get(reference)
    await journal.async_set_details(
        reference,
        {"masked_pan": "************1111", "card_network": "Visa", "auth_code": "123456"},
    )
    journal.set_details_soon(reference, {ANNOUNCED: True})
    await journal.async_wait_for_writes()
    scan_started = time.perf_counter()
    sales_today(
        journal.records(), journal.details, terminal=SELLER, since=dt_util.start_of_local_day()
    )
    return scans + time.perf_counter() - scan_started


async def _fill(path: Path, count: int) -> None:
    database = SqliteJournal(path, wal=True, flags=(ANNOUNCED,))
    history = list(_history(count))
    for start in range(0, len(history), 5000):
        await database.merge(history[start : start + 5000])
    await database.close()


async def _store_sale_cost(hass: HomeAssistant, store: Store[dict[str, Any]], data: Any) -> float:
    """Five saves of the whole file, as one sale did to the Store journal; seconds."""
    started = time.perf_counter()
    for _ in range(STORE_SAVES_PER_SALE):
        # The Store journal built its dicts anew for every save.
        await store.async_save({"records": [dict(item) for item in data["records"]]})
    return time.perf_counter() - started


async def _before(hass: HomeAssistant, count: int, sales: int) -> dict[str, Any]:
    """Measure the Store journal with ``count`` records: its load, a sale's saves."""
    store: Store[dict[str, Any]] = Store(
        hass, LEGACY_VERSION, LEGACY_KEY, private=True, atomic_writes=True
    )
    data = {"records": [_store_json(record, details) for record, details in _history(count)]}
    await store.async_save(data)
    size = await hass.async_add_executor_job(os.path.getsize, store.path)
    started = time.perf_counter()
    loaded = await store.async_load()
    assert loaded is not None
    records = [record_from_json(item) for item in loaded["records"]]
    load_s = time.perf_counter() - started
    seconds: list[float] = []
    write_bytes, wchar = _io()
    for _ in range(sales):
        seconds.append(await _store_sale_cost(hass, store, data))
    after = _io()
    return {
        "records": len(records),
        "file_bytes": size,
        "startup_s": load_s,
        "sales": sales,
        "p50_s": percentile(seconds, 50),
        "p95_s": percentile(seconds, 95),
        "write_bytes_per_sale": (after[0] - write_bytes) / sales,
        "wchar_per_sale": (after[1] - wchar) / sales,
    }


async def _migration(hass: HomeAssistant, directory: Path) -> dict[str, Any]:
    """Start with the Store file of ``_before`` still there: it moves in."""
    started = time.perf_counter()
    journal = HomeAssistantJournal(hass, path=directory / "migrated.db")
    await journal.async_load()
    elapsed = time.perf_counter() - started
    moved = await journal.database.load(created_since=datetime.now(UTC) - timedelta(days=100))
    await journal.database.close()
    return {"seconds": elapsed, "records": len(moved)}


async def _block(
    hass: HomeAssistant, root: Path, block: int, sized: list[_Size], sales: int
) -> None:
    """Run ``sales`` sales interleaved on a fresh copy of each size's filled journal."""
    journals: list[tuple[_Size, HomeAssistantJournal]] = []
    for size in sized:
        path = root / f"block-{block}-{size.records}.db"
        filled = root / f"journal-{size.records}.db"
        if filled.exists():  # an empty journal's file is made when it is opened
            await hass.async_add_executor_job(shutil.copyfile, filled, path)
        journal = HomeAssistantJournal(hass, path=path)
        await journal.async_load()
        size.at_hand_before = len(journal.records())
        journals.append((size, journal))
    await hass.async_block_till_done(wait_background_tasks=True)
    # What Home Assistant and the fill left on the heap is not a sale's: frozen out of the
    # collector, so that a full collection of it lands on no sale at random.
    gc.collect()
    gc.freeze()
    try:
        for number in range(sales + WARMUP):
            # Each size takes each place in the round in turn: none always follows
            # another's commit (its fsync, its background write).
            turn = number % len(journals)
            for size, journal in journals[turn:] + journals[:turn]:
                io_before = _io()
                begun = time.perf_counter()
                scans = await _sale(journal, number)
                elapsed = time.perf_counter() - begun
                io_after = _io()
                if number < WARMUP:
                    continue  # warm-up: imports, first queries, page cache
                size.seconds.append(elapsed)
                size.scans.append(scans)
                size.write_bytes += io_after[0] - io_before[0]
                size.wchar += io_after[1] - io_before[1]
    finally:
        gc.unfreeze()
    for size, journal in journals:
        size.at_hand_after = len(journal.records())
        await journal.database.close()
        size.file_bytes = journal.database.path.stat().st_size
        path = journal.database.path
        for leftover in path.parent.glob(f"{path.name}*"):  # with its -wal and -shm
            await hass.async_add_executor_job(functools.partial(leftover.unlink, missing_ok=True))


async def run(
    sizes: list[int], sales: int, *, blocks: int = 1, before: bool = True
) -> dict[str, Any]:
    """Measure ``sales`` sales on a journal of each size; startup with the largest.

    The sales run in ``blocks``, each on fresh copies of the filled journals, so that
    the records a sale finds at hand stay those of a venue's day (the journal keeps
    today's at hand: thousands of sales on one copy would be days of a venue's sales).
    """
    results: dict[str, Any] = {
        "sizes": sizes,
        "sales": sales - sales % blocks,
        "blocks": blocks,
        "per_day": PER_DAY,
        "warmup": WARMUP,
    }
    with tempfile.TemporaryDirectory(prefix="kinetic-b6-") as tmp:
        root = Path(tmp)
        (root / "config").mkdir()
        for count in sizes:
            await _fill(root / f"journal-{count}.db", count)
        async with home_assistant(str(root / "config")) as (hass, blocking):
            largest = max(sizes)
            loads: list[float] = []
            for _ in range(STARTUPS):
                started = time.perf_counter()
                startup = HomeAssistantJournal(hass, path=root / f"journal-{largest}.db")
                await startup.async_load()
                loads.append(time.perf_counter() - started)
                at_hand = len(startup.records())
                await hass.async_block_till_done(wait_background_tasks=True)
                await startup.database.close()
            results["startup"] = {
                "records": largest,
                "seconds": percentile(loads, 50),
                "first_s": loads[0],
                "max_s": max(loads),
                "loads": len(loads),
                "at_hand": at_hand,
            }
            sized = [_Size(count) for count in sizes]
            per_block = sales // blocks
            for block in range(blocks):
                await _block(hass, root, block, sized, per_block)
            results["journals"] = {
                str(size.records): {
                    "p50_s": percentile(size.seconds, 50),
                    "p95_s": percentile(size.seconds, 95),
                    "scans_p50_s": percentile(size.scans, 50),
                    "scans_p95_s": percentile(size.scans, 95),
                    "rest_p50_s": percentile(size.rest(), 50),
                    "rest_p95_s": percentile(size.rest(), 95),
                    "at_hand_before": size.at_hand_before,
                    "at_hand_after": size.at_hand_after,
                    "write_bytes_per_sale": size.write_bytes / len(size.seconds),
                    "wchar_per_sale": size.wchar / len(size.seconds),
                    "file_bytes": size.file_bytes,
                }
                for size in sized
            }
            if before:
                results["store_before"] = await _before(hass, largest, max(3, sales // 20))
                results["migration"] = await _migration(hass, root)
            results["blocking_calls"] = blocking.count
    base = results["journals"][str(sizes[0])]
    results["ratios"] = {
        str(count): {
            "p50": results["journals"][str(count)]["p50_s"] / base["p50_s"],
            "p95": results["journals"][str(count)]["p95_s"] / base["p95_s"],
        }
        for count in sizes
    }
    return results


if __name__ == "__main__":
    print(json.dumps(asyncio.run(run([0, 10_000], 20)), indent=2))  # noqa: T201
