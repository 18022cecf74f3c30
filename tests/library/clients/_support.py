"""Helpers shared by the client tests (polling with a deadline, secret checks)."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")

#: Field names that must never exist on a model.
CARD_SECRET_FIELDS = frozenset(
    {"track2", "pin_block", "ksn", "tags", "online_request", "online_response", "card_details"}
)


async def eventually(
    probe: Callable[[], Awaitable[T]],
    done: Callable[[T], bool],
    *,
    within: float = 10.0,
    interval: float = 0.02,
    retry_on: tuple[type[Exception], ...] = (),
) -> T:
    """Call ``probe`` until ``done`` holds for its result, or fail after ``within`` s.

    Exceptions of the ``retry_on`` types (e.g. a terminal still busy) mean "ask again".
    """
    async with asyncio.timeout(within):
        while True:
            try:
                value = await probe()
            except retry_on:
                await asyncio.sleep(interval)
                continue
            if done(value):
                return value
            await asyncio.sleep(interval)


def assert_clean(model: object, secrets: list[str]) -> None:
    """The model has no card-secret fields and none of ``secrets`` is in its repr."""
    if dataclasses.is_dataclass(model):
        names = {f.name for f in dataclasses.fields(model)}
        assert not names & CARD_SECRET_FIELDS, names & CARD_SECRET_FIELDS
    text = repr(model)
    for secret in secrets:
        assert secret not in text, f"secret {secret[:3]}… in {type(model).__name__}"
