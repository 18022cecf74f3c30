"""The last receipt of a terminal as an image, for dashboards without a printer.

Terminals with receipts are asked for the merchant copy; for the others (or when the
terminal cannot give it) the library builds one from the transaction. Either way the
lines pass through the library's card-number redaction before they are drawn.

The picture is drawn when it is first asked for (a dashboard showing it), once per
receipt, not at every sale: drawing text with Pillow costs more CPU than the rest of a
sale, and most receipts of a busy venue are never looked at.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import Sequence
from typing import Any

from homeassistant.components.image import ImageEntity
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.util import dt as dt_util
from PIL import Image, ImageDraw, ImageFont

from kinetic_integration import (
    Capability,
    KineticError,
    ReceiptCopy,
    Transaction,
    TransactionType,
    redact_card_numbers,
    transaction_receipt,
)

from .const import DOMAIN, LOGGER
from .coordinator import KineticCoordinator
from .data import KineticConfigEntry
from .entity import KineticTransactionEntity
from .payments import KineticPayments

PARALLEL_UPDATES = 0

_MARGIN = 16
_LINE_SPACING = 6
#: Pixels; readable on a dashboard card (ignored where Pillow has no FreeType).
_FONT_SIZE = 18
#: Blank lines below the last one: a picture card lays its caption over the bottom of the
#: image, which would otherwise hide the receipt's last line.
_CAPTION_LINES = 3
#: What is served before there is a receipt: one transparent pixel. The frontend asks for
#: the image whatever its state; an answer without one would be an HTTP 500 and a broken
#: image on every dashboard (the entity's state stays ``unknown`` meanwhile).
NO_RECEIPT = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000b4944415478da636000020000050001e9fadcd80000000049454e44ae426082"
)


def render_receipt(lines: Sequence[str]) -> bytes:
    """Draw receipt lines black on white and return the PNG (blocking: run in a thread)."""
    font = ImageFont.load_default(size=_FONT_SIZE)
    probe = ImageDraw.Draw(Image.new("L", (1, 1)))
    line_height = int(probe.textbbox((0, 0), "Ag|", font=font)[3]) + _LINE_SPACING
    width = max((int(probe.textlength(line, font=font)) for line in lines), default=0)
    rows = max(len(lines), 1) + _CAPTION_LINES
    image = Image.new("L", (width + 2 * _MARGIN, line_height * rows + 2 * _MARGIN), 255)
    draw = ImageDraw.Draw(image)
    for index, line in enumerate(lines):
        draw.text((_MARGIN, _MARGIN + index * line_height), line, fill=0, font=font)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


async def async_setup_entry(
    hass: HomeAssistant,
    entry: KineticConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the last receipt image."""
    runtime = entry.runtime_data
    async_add_entities([KineticReceiptImage(hass, runtime.coordinator, runtime.payments)])


class KineticReceiptImage(KineticTransactionEntity, ImageEntity):
    """The receipt of the latest transaction that reached the terminal."""

    _attr_translation_key = "last_receipt"
    _attr_content_type = "image/png"

    def __init__(
        self, hass: HomeAssistant, coordinator: KineticCoordinator, payments: KineticPayments
    ) -> None:
        """Attach to the terminal's device; no receipt until a transaction ends."""
        super().__init__(coordinator, "last_receipt")
        self._payments = payments
        ImageEntity.__init__(self, hass)
        self._image: bytes | None = None
        #: The latest receipt's lines not drawn yet (drawn on the next request).
        self._undrawn: list[str] | None = None
        self._drawing = asyncio.Lock()
        self._updating: asyncio.Task[None] | None = None
        #: The text drawn in the image (masked card number only).
        self.receipt_lines: list[str] = []

    @callback
    def _async_transaction(self, data: dict[str, Any]) -> None:
        txn = self._payments.last_transaction
        if txn is None or txn.reference != data["reference"]:
            # Nothing reached the terminal (refused before sending): no receipt.
            return
        if self._updating is not None and not self._updating.done():
            # A newer transaction ended: an older receipt must not be drawn over it.
            self._updating.cancel()
        self._updating = self.coordinator.config_entry.async_create_background_task(
            self.hass, self._async_update_receipt(txn), f"{DOMAIN} receipt {txn.reference}"
        )

    async def _async_update_receipt(self, txn: Transaction) -> None:
        lines = redact_card_numbers(await self._async_lines(txn))
        self._undrawn = lines
        self.receipt_lines = lines
        self._attr_image_last_updated = dt_util.utcnow()
        self.async_write_ha_state()

    async def _async_lines(self, txn: Transaction) -> list[str]:
        terminal = self.coordinator.terminal
        if terminal.supports(Capability.RECEIPTS):
            copy = (
                ReceiptCopy.RECONCILIATION
                if txn.type is TransactionType.RECONCILIATION
                else ReceiptCopy.MERCHANT
            )
            try:
                lines = await terminal.receipt(txn.reference, copy)
            except KineticError as err:
                LOGGER.debug("No receipt from the terminal for %s: %s", txn.reference, err.code)
            else:
                if lines:
                    return lines
        status = self.coordinator.data.status
        return transaction_receipt(
            txn,
            merchant=self.coordinator.config_entry.title,
            terminal=status.name or status.serial,
        )

    async def async_image(self) -> bytes:
        """Return the PNG of the last receipt (before the first one, a blank pixel)."""
        async with self._drawing:  # two requests at once draw it once
            lines = self._undrawn
            if lines is not None:
                image = await self.hass.async_add_executor_job(render_receipt, lines)
                if self._undrawn is lines:  # no newer receipt arrived meanwhile
                    self._image = image
                    self._undrawn = None
                else:
                    return image
        return self._image if self._image is not None else NO_RECEIPT
