"""Which transaction a receipt action means: the one named, else the terminal's latest."""

from __future__ import annotations

from kinetic_integration import KineticInputError, Terminal


async def receipt_reference(terminal: Terminal, reference: str | None) -> str:
    """Return ``reference``, or the terminal's latest transaction's (refused if none)."""
    if reference is not None:
        return reference
    latest = await terminal.latest_transaction()
    if latest is None:
        raise KineticInputError("The terminal has no transaction yet")
    return latest.reference
