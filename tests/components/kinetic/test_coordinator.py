"""Polling: states, fast polling during a transaction, outages, reauth, setup failures."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from decimal import Decimal

import pytest
from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.const import CONF_PASSWORD, STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from custom_components.kinetic.const import DOMAIN, FAST_INTERVAL, IDLE_INTERVAL
from kinetic_integration.simulator import (
    DeviceServiceSimulator,
    KineticGoSimulator,
    PaymentEngineSimulator,
)
from tests.log_hygiene import register_secret

from .conftest import PE_DEVICE, ds_data, go_data, setup_entry

GO = "kinetic_go_2_kg2sim0001"


async def _tick(hass: HomeAssistant, interval: timedelta = IDLE_INTERVAL) -> None:
    """Let one poll happen."""
    async_fire_time_changed(hass, dt_util.utcnow() + interval + timedelta(seconds=1))
    # Scheduled refreshes run as background tasks.
    await hass.async_block_till_done(wait_background_tasks=True)


def _state(hass: HomeAssistant, entity_id: str) -> str:
    state = hass.states.get(entity_id)
    assert state is not None, entity_id
    return state.state


async def test_offline_and_back(
    hass: HomeAssistant,
    go_entry: MockConfigEntry,
    go_sim: KineticGoSimulator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Entities go unavailable and come back, with exactly one log line each way."""
    await setup_entry(hass, go_entry)
    assert _state(hass, f"binary_sensor.{GO}_connectivity") == "on"
    port = go_sim.port
    await go_sim.stop()
    caplog.clear()
    await _tick(hass)
    await _tick(hass)
    assert _state(hass, f"sensor.{GO}_state") == STATE_UNAVAILABLE
    assert _state(hass, f"sensor.{GO}_screen") == STATE_UNAVAILABLE
    # Connectivity answers "off" rather than going unavailable itself.
    assert _state(hass, f"binary_sensor.{GO}_connectivity") == "off"
    lost = [r for r in caplog.records if r.name.startswith("custom_components.kinetic")]
    assert [r.levelname for r in lost if r.levelname != "DEBUG"] == ["ERROR"]
    caplog.clear()
    async with KineticGoSimulator(host=go_sim.host, port=port):
        await _tick(hass)
        await _tick(hass)
        assert _state(hass, f"sensor.{GO}_state") == "idle"
        assert _state(hass, f"binary_sensor.{GO}_connectivity") == "on"
        back = [
            r
            for r in caplog.records
            if r.name.startswith("custom_components.kinetic") and r.levelname != "DEBUG"
        ]
        assert len(back) == 1
        assert "recovered" in back[0].getMessage()
        assert await hass.config_entries.async_unload(go_entry.entry_id)


async def test_reauth_when_credentials_are_rejected(
    hass: HomeAssistant, go_entry: MockConfigEntry, go_sim: KineticGoSimulator
) -> None:
    """A 401 while polling starts reauth; new credentials bring the entry back."""
    await setup_entry(hass, go_entry)
    port = go_sim.port
    await go_sim.stop()
    async with KineticGoSimulator(host=go_sim.host, port=port, password="changed-pass") as sim:
        await _tick(hass)
        flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
        assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]
        result = await hass.config_entries.flow.async_configure(
            flows[0]["flow_id"], {"username": "kinetic", CONF_PASSWORD: "changed-pass"}
        )
        assert result["reason"] == "reauth_successful"
        await hass.async_block_till_done()
        assert go_entry.data[CONF_PASSWORD] == "changed-pass"
        assert go_entry.state is ConfigEntryState.LOADED
        assert _state(hass, f"sensor.{GO}_state") == "idle"
        assert sim.money_requests() == 0
        assert await hass.config_entries.async_unload(go_entry.entry_id)


async def test_setup_retry_when_unreachable(
    hass: HomeAssistant, go_entry: MockConfigEntry, go_sim: KineticGoSimulator
) -> None:
    """An unreachable terminal is retried later."""
    await go_sim.stop()
    await setup_entry(hass, go_entry)
    assert go_entry.state is ConfigEntryState.SETUP_RETRY


async def test_setup_auth_failure_starts_reauth(
    hass: HomeAssistant, go_entry: MockConfigEntry, go_sim: KineticGoSimulator
) -> None:
    """Rejected credentials at setup fail the entry and ask for new ones."""
    hass.config_entries.async_update_entry(go_entry, data={**go_entry.data, CONF_PASSWORD: "wrong"})
    await setup_entry(hass, go_entry)
    assert go_entry.state is ConfigEntryState.SETUP_ERROR
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]


async def test_transaction_in_progress(hass: HomeAssistant, loopback: None) -> None:
    """Fast polling while the customer pays; the last transaction is shown after."""
    async with KineticGoSimulator(host="127.0.0.5", customer_delay=0) as sim:
        entry = MockConfigEntry(
            domain=DOMAIN, title="Kinetic Go 2 KG2SIM0001", unique_id=sim.serial, data=go_data(sim)
        )
        entry.add_to_hass(hass)
        await setup_entry(hass, entry)
        coordinator = entry.runtime_data.coordinator
        assert coordinator.update_interval == IDLE_INTERVAL
        assert _state(hass, f"sensor.{GO}_last_transaction_result") == "unknown"

        started = await coordinator.terminal.client.start_sale("ha-test-1", Decimal("12.00"))
        assert started.id == "ha-test-1"
        await _tick(hass)
        assert _state(hass, f"binary_sensor.{GO}_transaction_in_progress") == "on"
        assert _state(hass, f"sensor.{GO}_state") == "waiting_for_card"
        assert coordinator.update_interval == FAST_INTERVAL

        await sim.customer("present")
        for _ in range(20):
            await _tick(hass, FAST_INTERVAL)
            if _state(hass, f"binary_sensor.{GO}_transaction_in_progress") == "off":
                break
        assert _state(hass, f"sensor.{GO}_last_transaction_result") == "approved"
        assert Decimal(_state(hass, f"sensor.{GO}_last_transaction_amount")) == Decimal("12.00")
        assert _state(hass, f"sensor.{GO}_last_transaction_time") != "unknown"
        assert coordinator.update_interval == IDLE_INTERVAL
        assert len(sim.charges()) == 1
        assert await hass.config_entries.async_unload(entry.entry_id)


async def test_device_service_counts(
    hass: HomeAssistant,
    ds_entry: MockConfigEntry,
    ds_sim: DeviceServiceSimulator,
    enable_all_entities: None,
) -> None:
    """DeviceService has the offline store counts; a lost reader reads offline."""
    await setup_entry(hass, ds_entry)
    prefix = "mp200_deviceservice_127_0_0_3_8526"
    assert _state(hass, f"sensor.{prefix}_offline_transactions") == "0"
    assert _state(hass, f"sensor.{prefix}_stored_records") == "0"
    assert _state(hass, f"sensor.{prefix}_state") == "idle"
    assert hass.states.get(f"sensor.{prefix}_last_transaction_result") is None
    ds_sim.set_connected(False)
    await _tick(hass)
    assert _state(hass, f"sensor.{prefix}_state") == "offline"
    assert _state(hass, f"binary_sensor.{prefix}_connectivity") == "off"


async def test_payment_engine_device_offline(
    hass: HomeAssistant, pe_entry: MockConfigEntry, pe_sim: PaymentEngineSimulator
) -> None:
    """The Payment Engine's device status drives the state."""
    await setup_entry(hass, pe_entry)
    assert _state(hass, "sensor.counter_state") == "idle"
    assert _state(hass, "sensor.counter_screen") == "online"
    assert hass.states.get("sensor.counter_offline_transactions") is None
    pe_sim.set_device_online(PE_DEVICE, False)
    await _tick(hass)
    assert _state(hass, "sensor.counter_state") == "offline"


async def test_device_service_busy_keeps_counts(hass: HomeAssistant, loopback: None) -> None:
    """During a DeviceService transaction the counts are not asked; the last ones stay."""
    async with DeviceServiceSimulator(
        host="127.0.0.5", customer_delay=0, processing_delay=0.01, stable_wait=0.3
    ) as sim:
        register_secret(*sim.secrets())
        entry = MockConfigEntry(
            domain=DOMAIN, title="Reader", unique_id=f"{sim.host}:{sim.port}", data=ds_data(sim)
        )
        entry.add_to_hass(hass)
        await setup_entry(hass, entry)
        coordinator = entry.runtime_data.coordinator
        assert _state(hass, "sensor.reader_offline_transactions") == "0"

        # Not a Home Assistant task: the poll below waits for those, and the sale waits
        # for the customer.
        sale = asyncio.create_task(coordinator.terminal.sale(Decimal("3.00"), timeout=10))
        for _ in range(100):
            if sim.screen == "Present card":
                break
            await asyncio.sleep(0.01)
        await _tick(hass)
        assert _state(hass, "binary_sensor.reader_transaction_in_progress") == "on"
        assert _state(hass, "sensor.reader_state") == "waiting_for_card"
        assert _state(hass, "sensor.reader_offline_transactions") == "0"
        assert coordinator.update_interval == FAST_INTERVAL

        await sim.customer("present")
        txn = await sale
        assert txn.result.value == "approved", (txn, sim.ledger)
        await _tick(hass, FAST_INTERVAL)
        assert _state(hass, "binary_sensor.reader_transaction_in_progress") == "off"
        assert await hass.config_entries.async_unload(entry.entry_id)
