"""The voice and table-service examples, run in Home Assistant against simulated terminals.

Two Kinetic Go simulators (the demo fleet's shape, on their own loopback addresses and
ephemeral ports) are added through the real config flow; the example script, intent
script and custom sentences are loaded as a user would install them, and sentences go
through the default conversation agent. The simulated customer is manual, as in the demo.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import pytest_socket
from hassil.intents import Intents
from hassil.recognize import recognize
from homeassistant.components import conversation
from homeassistant.config_entries import SOURCE_USER
from homeassistant.const import CONF_HOST, CONF_PASSWORD, CONF_PORT, CONF_USERNAME
from homeassistant.core import Context, HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.setup import async_setup_component
from homeassistant.util.yaml import load_yaml_dict

from custom_components.kinetic.const import DOMAIN
from kinetic_integration.simulator import Fleet, KineticGoSimulator
from tests.log_hygiene import register_secret

EXAMPLES = Path(__file__).parents[3] / "examples"
SENTENCES = EXAMPLES / "voice" / "custom_sentences"
LANGUAGES = ("en", "de", "fr", "es", "nl")
# Addresses no other test of the integration uses.
FIRST_HOST = 60
HOSTS = ("127.0.0.60", "127.0.0.61")
# The entities the example script maps tables to (the demo fleet gets the same ones).
GO_ENTITIES = ("sensor.kinetic_go_2_kg2sim0001_state", "sensor.kinetic_go_2_kg2sim0002_state")
# One sentence per language with an amount no one could charge: the intent must match and
# answer in that language, and nothing may be sent.
NOT_AN_AMOUNT = {
    "en": ("charge table 5 lots", "I did not understand the amount"),
    "de": ("Tisch 5 viel kassieren", "Ich habe den Betrag nicht verstanden"),
    "fr": ("encaisser table 5 beaucoup", "Je n\u2019ai pas compris le montant"),
    "es": ("cobrar mesa 5 mucho", "No entendí el importe"),
    "nl": ("reken tafel 5 veel af", "Ik heb het bedrag niet verstaan"),
}


@pytest.fixture
async def fleet(socket_enabled: None) -> AsyncIterator[list[KineticGoSimulator]]:
    """Two Kinetic Go simulators with a manual customer (as in the demo)."""
    pytest_socket.socket_allow_hosts(["127.0.0.1", *HOSTS], allow_unix_socket=True)
    simulators = Fleet(
        kinetic_go=2,
        device_service=0,
        payment_engine=0,
        first_host=FIRST_HOST,
        port=0,
        customer_delay=0,
        processing_delay=0.01,
    )
    for sim in simulators.simulators:
        register_secret(*sim.secrets())
    async with simulators:
        gos = [sim for sim in simulators.simulators if isinstance(sim, KineticGoSimulator)]
        assert [sim.host for sim in gos] == list(HOSTS)
        yield gos


async def _add_terminal(hass: HomeAssistant, sim: KineticGoSimulator) -> None:
    """Add a terminal the way a user does: the config flow's Kinetic Go form."""
    described = sim.describe()
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "kinetic_go"}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            CONF_HOST: sim.host,
            CONF_PORT: sim.port,
            CONF_USERNAME: described["username"],
            CONF_PASSWORD: described["password"],
        },
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()


@pytest.fixture
async def voice(
    hass: HomeAssistant,
    fleet: list[KineticGoSimulator],
    tmp_path: Path,
) -> list[KineticGoSimulator]:
    """Home Assistant with both terminals and the examples installed as the README says."""
    hass.config.config_dir = str(tmp_path)
    for language in LANGUAGES:
        shutil.copytree(SENTENCES / language, tmp_path / "custom_sentences" / language)
    for sim in fleet:
        await _add_terminal(hass, sim)
    script = load_yaml_dict(EXAMPLES / "homeassistant" / "scripts" / "table_service.yaml")
    intents = load_yaml_dict(EXAMPLES / "voice" / "intent_script.yaml")
    # Assist needs the core integration (exposed entities) like any real instance.
    assert await async_setup_component(hass, "homeassistant", {})
    assert await async_setup_component(hass, "script", {"script": script})
    assert await async_setup_component(hass, "intent_script", {"intent_script": intents})
    assert await async_setup_component(hass, "intent", {})
    assert await async_setup_component(hass, "conversation", {})
    await hass.async_block_till_done()
    return fleet


async def _say(hass: HomeAssistant, text: str, language: str = "en") -> str:
    result = await conversation.async_converse(hass, text, None, Context(), language=language)
    response: dict[str, Any] = result.response.as_dict()
    speech: str = response["speech"]["plain"]["speech"]
    return speech


async def _say_and_pay(
    hass: HomeAssistant, sim: KineticGoSimulator, text: str, language: str = "en"
) -> str:
    """Say a sale, and present a card on ``sim`` as the customer."""
    said = asyncio.create_task(_say(hass, text, language))
    await sim.customer("tap", wait=10)
    return await said


def _charges(sim: KineticGoSimulator) -> list[tuple[str, Decimal]]:
    return [(entry.type, entry.amount) for entry in sim.charges()]


async def test_demo_entity_ids(hass: HomeAssistant, voice: list[KineticGoSimulator]) -> None:
    """The entities the script maps tables to exist (the demo fleet's names)."""
    for entity_id in GO_ENTITIES:
        assert hass.states.get(entity_id) is not None, sorted(hass.states.async_entity_ids())


async def test_charge_table_by_voice(
    hass: HomeAssistant, voice: list[KineticGoSimulator], caplog: pytest.LogCaptureFixture
) -> None:
    """One sale of the spoken amount on the table's terminal; a repeat charges nothing."""
    first, second = voice
    speech = await _say_and_pay(hass, first, "charge table 5 42.50")

    assert speech == "Table 5: 42.50 approved."
    assert _charges(first) == [("sale", Decimal("42.50"))]
    assert first.money_requests() == 1
    assert second.money_requests() == 0

    # Said twice (or heard twice): the integration refuses a second sale for table 5 right
    # after its approval, and the answer says so (without a failed call in the log).
    caplog.clear()
    speech = await _say(hass, "charge 42.50 to table 5")
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
    assert speech == (
        "Table 5: this table was charged a moment ago, so nothing was sent "
        "and nothing charged again."
    )
    assert first.money_requests() == 1
    assert second.money_requests() == 0


async def test_above_the_cap(hass: HomeAssistant, voice: list[KineticGoSimulator]) -> None:
    """Above the example's cap nothing is sent, and the answer says why."""
    speech = await _say(hass, "charge table 5 250.00")

    assert speech == "Table 5: 250.00 is above the cap of 100.00, nothing charged."
    assert [sim.money_requests() for sim in voice] == [0, 0]


async def test_german_decimal_comma(hass: HomeAssistant, voice: list[KineticGoSimulator]) -> None:
    """German with a decimal comma; table 15 is served by the second terminal."""
    first, second = voice
    speech = await _say_and_pay(hass, second, "Tisch 15 42,50 kassieren", "de")

    assert speech == "Tisch 15: 42.50 genehmigt."
    assert _charges(second) == [("sale", Decimal("42.50"))]
    assert first.money_requests() == 0


async def test_declined_by_voice(hass: HomeAssistant, voice: list[KineticGoSimulator]) -> None:
    """A declined card (the simulator declines .01) is said as declined, nothing charged."""
    first, _second = voice
    speech = await _say_and_pay(hass, first, "charge table 3 12.01")

    assert speech == "Table 3: 12.01 declined, nothing charged."
    assert first.charges() == []
    assert first.money_requests() == 1


async def test_every_language_answers(hass: HomeAssistant, voice: list[KineticGoSimulator]) -> None:
    """Each language's sentences reach the intent and answer in that language."""
    for language, (text, expected) in NOT_AN_AMOUNT.items():
        speech = await _say(hass, text, language)
        assert speech.startswith(expected), (language, speech)
    assert [sim.money_requests() for sim in voice] == [0, 0]


@pytest.mark.parametrize("language", LANGUAGES)
def test_sentence_files_parse(language: str) -> None:
    """Every sentence file parses (hassil) and matches its own example with table and amount."""
    data = load_yaml_dict(SENTENCES / language / "kinetic.yaml")
    assert data["language"] == language
    intents = Intents.from_dict(data)
    examples = {
        "en": "charge table 5 42.50",
        "de": "Tisch 5 42,50 kassieren",
        "fr": "encaisser table 5 42,50",
        "es": "cobrar mesa 5 42,50",
        "nl": "reken tafel 5 42,50 af",
    }
    result = recognize(examples[language], intents)
    assert result is not None
    assert result.intent.name == "KineticChargeTable"
    assert result.entities["table"].value == 5
    assert result.entities["amount"].value.replace(",", ".") == "42.50"
    assert result.entities["lang"].value == language


async def test_script_called_directly(hass: HomeAssistant, voice: list[KineticGoSimulator]) -> None:
    """The dashboard's way in: table 12 goes to the second terminal, with a tip."""
    first, second = voice
    call = asyncio.create_task(
        hass.services.async_call(
            "script",
            "table_service",
            {"table": 12, "amount": "20,10", "tip": "2.00"},
            blocking=True,
            return_response=True,
        )
    )
    await second.customer("tap", wait=10)
    response = await call

    assert response is not None
    assert response["result"] == "approved"
    assert (response["amount"], response["tip"], response["total"]) == ("20.10", "2.00", "22.10")
    assert _charges(second) == [("sale", Decimal("22.10"))]
    assert first.money_requests() == 0


async def test_unmapped_table(hass: HomeAssistant, voice: list[KineticGoSimulator]) -> None:
    """A table no terminal serves: the answer says so, and nothing is sent."""
    response = await hass.services.async_call(
        "script",
        "table_service",
        {"table": 50, "amount": "10.00"},
        blocking=True,
        return_response=True,
    )
    assert response == {
        "result": "no_terminal",
        "table": 50,
        "message": "No Kinetic terminal serves table 50",
    }
    speech = await _say(hass, "charge table 50 10.00")
    assert speech == "Table 50: no terminal serves this table, nothing charged."
    assert [sim.money_requests() for sim in voice] == [0, 0]


async def test_integration_cap_second_guard(
    hass: HomeAssistant, voice: list[KineticGoSimulator]
) -> None:
    """Below the voice cap but above the terminal's own: refused, said, nothing sent."""
    entry = next(
        entry
        for entry in hass.config_entries.async_entries(DOMAIN)
        if entry.unique_id == voice[0].serial
    )
    # The terminal's options, as a user sets them.
    result = await hass.config_entries.options.async_init(entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"max_amount": "50.00"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()

    speech = await _say(hass, "charge table 5 80.00")

    assert speech.startswith("Table 5: Home Assistant refused the sale before sending it")
    assert speech.endswith("nothing charged.")
    assert [sim.money_requests() for sim in voice] == [0, 0]
