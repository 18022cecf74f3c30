"""The last receipt image: from the terminal, or built from the transaction."""

from __future__ import annotations

import io
import re
import uuid
from http import HTTPStatus

import pytest
from homeassistant.components.image import ImageEntity
from homeassistant.components.image.const import DATA_COMPONENT
from homeassistant.const import STATE_UNKNOWN
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from PIL import Image
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.kinetic.image import NO_RECEIPT, KineticReceiptImage, render_receipt
from kinetic_integration.simulator import KineticGoSimulator, PaymentEngineSimulator

from .conftest import setup_entry
from .test_coordinator import _tick
from .test_payments import sale

GO_IMAGE = "image.kinetic_go_2_kg2sim0001_last_receipt"
PE_IMAGE = "image.counter_last_receipt"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def receipt_entity(hass: HomeAssistant, entity_id: str) -> KineticReceiptImage:
    """Return the image entity object behind an entity id."""
    entity: ImageEntity | None = hass.data[DATA_COMPONENT].get_entity(entity_id)
    assert isinstance(entity, KineticReceiptImage)
    return entity


def no_card_number(lines: list[str]) -> bool:
    """Whether no line holds a run of 12 or more digits (a full card number)."""
    return not any(re.search(r"\d{12,}", re.sub(r"[ .-]", "", line)) for line in lines)


async def test_terminal_receipt_after_a_sale(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    go_entry: MockConfigEntry,
    go_sim: KineticGoSimulator,
) -> None:
    """A Kinetic Go sale: its merchant copy from the terminal, served as a PNG."""
    await setup_entry(hass, go_entry)
    state = hass.states.get(GO_IMAGE)
    assert state is not None
    assert state.state == STATE_UNKNOWN
    assert await receipt_entity(hass, GO_IMAGE).async_image() == NO_RECEIPT

    answer = await sale(hass, go_entry, amount="12.50", tip="1.50", table="12")
    await hass.async_block_till_done(wait_background_tasks=True)
    entity = receipt_entity(hass, GO_IMAGE)
    lines = entity.receipt_lines
    assert "AMOUNT: GBP 12.50" in lines
    assert "TIP: GBP 1.50" in lines
    # The terminal's own receipt keeps its masked form; the response has the shared one.
    last_four = answer["masked_pan"].removeprefix("**** ")
    assert any(line.startswith("CARD: ") and line.endswith(last_four) for line in lines)
    assert "MERCHANT COPY" in lines
    assert f"REF: {answer['reference']}" in lines
    assert no_card_number(lines)
    state = hass.states.get(GO_IMAGE)
    assert state is not None
    assert state.state != STATE_UNKNOWN
    assert state.attributes["friendly_name"] == "Kinetic Go 2 KG2SIM0001 Last receipt"

    client = await hass_client()
    response = await client.get(f"/api/image_proxy/{GO_IMAGE}")
    assert response.status == HTTPStatus.OK
    assert response.content_type == "image/png"
    body = await response.read()
    assert body.startswith(PNG_SIGNATURE)
    assert body == await entity.async_image()
    with Image.open(io.BytesIO(body)) as image:
        width, height = image.size
    # One row of text per line, every line fits.
    assert height > 10 * len(lines)
    assert width > 100


async def test_receipt_built_for_a_kind_without_receipts(
    hass: HomeAssistant, pe_entry: MockConfigEntry, pe_sim: PaymentEngineSimulator
) -> None:
    """A Payment Engine sale: the receipt is built from the transaction."""
    await setup_entry(hass, pe_entry)
    # A fixed reference: a random one may hold a run of digits long enough to be masked.
    answer = await sale(
        hass, pe_entry, amount="30.00", tip="3.00", table="9", reference="receipt-table-9"
    )
    await hass.async_block_till_done(wait_background_tasks=True)
    entity = receipt_entity(hass, PE_IMAGE)
    lines = entity.receipt_lines
    assert lines[0] == "Counter"
    assert "SALE" in lines
    assert "AMOUNT: 30.00" in lines
    assert "TIP: 3.00" in lines
    assert "APPROVED" in lines
    assert f"CARD: {answer['masked_pan']}" in lines
    assert f"REF: {answer['reference']}" in lines
    assert f"TERMINAL REF: {answer['terminal_transaction_id']}" in lines
    if answer["auth_code"]:
        assert f"AUTH CODE: {answer['auth_code']}" in lines
    assert no_card_number(lines)
    image = await entity.async_image()
    assert image is not None
    assert image.startswith(PNG_SIGNATURE)
    assert len(pe_sim.charges()) == 1


async def test_declined_sale_and_refused_sale(
    hass: HomeAssistant, go_entry: MockConfigEntry, go_sim: KineticGoSimulator
) -> None:
    """A declined sale has a receipt; a sale refused before sending changes nothing."""
    await setup_entry(hass, go_entry)
    answer = await sale(hass, go_entry, amount="10.01")
    assert answer["result"] == "declined"
    await hass.async_block_till_done(wait_background_tasks=True)
    entity = receipt_entity(hass, GO_IMAGE)
    assert "DECLINED" in entity.receipt_lines
    first = await entity.async_image()
    updated = entity.image_last_updated
    assert first is not None

    go_sim.inject("error_500", path="/api/v2/transactions/sale")
    with pytest.raises(HomeAssistantError):
        await sale(hass, go_entry, amount="11.00")
    await hass.async_block_till_done(wait_background_tasks=True)
    assert await entity.async_image() == first
    assert entity.image_last_updated == updated


async def test_built_receipt_when_the_terminal_gives_none(
    hass: HomeAssistant, go_entry: MockConfigEntry, go_sim: KineticGoSimulator
) -> None:
    """The terminal fails to give the receipt: one is built from the transaction."""
    await setup_entry(hass, go_entry)
    reference = str(uuid.uuid4())
    # Only the receipt requests fail (the sale's own requests go through).
    go_sim.inject("error_500", path=f"/api/v2/transactions/{reference}/receipts", times=10)
    answer = await sale(hass, go_entry, amount="14.00", reference=reference)
    assert answer["result"] == "approved"
    await hass.async_block_till_done(wait_background_tasks=True)
    lines = receipt_entity(hass, GO_IMAGE).receipt_lines
    assert lines[0] == go_entry.title
    assert "AMOUNT: 14.00" in lines
    assert f"CARD: {answer['masked_pan']}" in lines
    assert f"REF: {reference}" in lines
    assert "MERCHANT COPY" not in lines


def test_render_nothing() -> None:
    """An empty receipt still renders a (blank) image."""
    png = render_receipt([])
    assert png.startswith(PNG_SIGNATURE)
    with Image.open(io.BytesIO(png)) as image:
        assert image.size[0] > 0
        assert image.size[1] > 0


async def test_no_receipt_yet_is_no_error(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    go_entry: MockConfigEntry,
    go_sim: KineticGoSimulator,
) -> None:
    """Before the first receipt the image answers a blank pixel, never an HTTP 500.

    The frontend asks for every image entity's picture whatever its state (issue 15: a
    broken image and a server error on every page load until the first receipt).
    """
    await setup_entry(hass, go_entry)
    client = await hass_client()
    for _ in range(2):
        state = hass.states.get(GO_IMAGE)
        assert state is not None
        # No receipt: the state says so (image_last_updated is None).
        assert state.state == STATE_UNKNOWN
        response = await client.get(state.attributes["entity_picture"])
        assert response.status == HTTPStatus.OK
        assert response.content_type == "image/png"
        with Image.open(io.BytesIO(await response.read())) as image:
            assert image.size == (1, 1)
        # A terminal lost does not make Home Assistant's own receipt unavailable.
        await go_sim.stop()
        await _tick(hass)


def test_caption_leaves_the_last_line_visible() -> None:
    """Blank space below the last line: a picture card's caption covers the bottom."""
    png = render_receipt(["MERCHANT COPY", "PLEASE RETAIN FOR YOUR RECORDS"])
    with Image.open(io.BytesIO(png)) as image:
        gray = image.convert("L")
        width, height = gray.size
        # getextrema: the darkest pixel of the row (getdata is deprecated in Pillow 12).
        inked = [y for y in range(height) if gray.crop((0, y, width, y + 1)).getextrema()[0] < 128]
    # The caption of a picture card is about 48 px tall at this width.
    assert height - 1 - max(inked) >= 64


async def test_receipt_is_drawn_when_first_asked_for_then_kept(
    hass: HomeAssistant, go_entry: MockConfigEntry
) -> None:
    """A sale draws nothing (Pillow's CPU, for a picture maybe never seen); asking does, once."""
    await setup_entry(hass, go_entry)
    await sale(hass, go_entry, amount="12.00")
    await hass.async_block_till_done(wait_background_tasks=True)
    entity = receipt_entity(hass, GO_IMAGE)
    assert entity.receipt_lines
    assert entity.image_last_updated is not None
    assert entity._image is None  # not drawn yet
    first = await entity.async_image()
    assert first.startswith(PNG_SIGNATURE)
    assert await entity.async_image() is first  # drawn once, then served as it is
