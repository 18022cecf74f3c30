"""Every path of the config flow, against simulated terminals over loopback."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from homeassistant.config_entries import (
    SOURCE_INTEGRATION_DISCOVERY,
    SOURCE_USER,
    SOURCE_ZEROCONF,
    ConfigEntryState,
    ConfigFlowResult,
)
from homeassistant.const import CONF_HOST, CONF_PASSWORD, CONF_PORT, CONF_USERNAME
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers.service_info.zeroconf import ZeroconfServiceInfo
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.kinetic.const import (
    CONF_API_KEY,
    CONF_BASE_URL,
    CONF_DEVICE_KEY,
    CONF_KIND,
    CONF_MAX_AMOUNT,
    CONF_NETWORK,
    CONF_PIN,
    CONF_PORTS,
    CONF_SANDBOX,
    CONF_TERMINAL,
    DOMAIN,
)
from kinetic_integration.simulator import (
    DeviceServiceSimulator,
    KineticGoSimulator,
    PaymentEngineSimulator,
)

from .conftest import (
    DS_HOST,
    DS_PORT,
    GO_HOST,
    PE_DEVICE,
    PE_PIN,
    ds_data,
    go_data,
    pe_data,
    setup_entry,
)


def _credentials(data: dict[str, Any]) -> dict[str, Any]:
    return {CONF_USERNAME: data[CONF_USERNAME], CONF_PASSWORD: data[CONF_PASSWORD]}


def _local_input(data: dict[str, Any]) -> dict[str, Any]:
    return {key: data[key] for key in (CONF_HOST, CONF_PORT, CONF_USERNAME, CONF_PASSWORD)}


async def _menu(hass: HomeAssistant, option: str) -> ConfigFlowResult:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert result["type"] is FlowResultType.MENU
    assert result["menu_options"] == ["search", "kinetic_go", "device_service", "payment_engine"]
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": option}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == option
    return result


async def test_user_kinetic_go(hass: HomeAssistant, go_sim: KineticGoSimulator) -> None:
    """Errors the user can fix, then an entry with the serial as unique id."""
    data = go_data(go_sim)
    result = await _menu(hass, "kinetic_go")
    flow_id = result["flow_id"]

    result = await hass.config_entries.flow.async_configure(
        flow_id, {**_local_input(data), CONF_PASSWORD: "wrong"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "invalid_auth"}

    # Nothing listens on port 1 of the simulator's address.
    result = await hass.config_entries.flow.async_configure(
        flow_id, {**_local_input(data), CONF_PORT: 1}
    )
    assert result["errors"] == {"base": "cannot_connect"}

    # It answers, but not as a terminal should.
    go_sim.inject("malformed_json", times=1)
    result = await hass.config_entries.flow.async_configure(flow_id, _local_input(data))
    assert result["errors"] == {"base": "unknown"}

    result = await hass.config_entries.flow.async_configure(flow_id, _local_input(data))
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Kinetic Go 2 KG2SIM0001"
    assert result["data"] == data
    assert result["result"].unique_id == "KG2SIM0001"
    await hass.async_block_till_done()
    assert result["result"].state is ConfigEntryState.LOADED


async def test_user_kinetic_go_already_configured(
    hass: HomeAssistant, go_entry: MockConfigEntry, go_sim: KineticGoSimulator
) -> None:
    """The same terminal cannot be added twice; its address is updated instead."""
    go_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(go_entry, data={**go_entry.data, CONF_PORT: 1})
    result = await _menu(hass, "kinetic_go")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _local_input(go_data(go_sim))
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert go_entry.data[CONF_PORT] == go_sim.port


async def test_user_device_service(hass: HomeAssistant, ds_sim: DeviceServiceSimulator) -> None:
    """DeviceService has no serial: the entry is known by host:port."""
    data = ds_data(ds_sim)
    result = await _menu(hass, "device_service")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**_local_input(data), CONF_PASSWORD: "wrong"}
    )
    assert result["errors"] == {"base": "invalid_auth"}
    result = await hass.config_entries.flow.async_configure(result["flow_id"], _local_input(data))
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["result"].unique_id == f"{DS_HOST}:{DS_PORT}"
    assert result["title"] == f"MP200 (DeviceService) {DS_HOST}:{DS_PORT}"


async def test_user_payment_engine(hass: HomeAssistant, pe_sim: PaymentEngineSimulator) -> None:
    """API key and PIN, then the device from the account's list."""
    data = pe_data(pe_sim)
    form = {
        CONF_API_KEY: data[CONF_API_KEY],
        CONF_PIN: data[CONF_PIN],
        CONF_SANDBOX: False,
        CONF_BASE_URL: pe_sim.base_url,
    }
    result = await _menu(hass, "payment_engine")
    flow_id = result["flow_id"]
    result = await hass.config_entries.flow.async_configure(flow_id, {**form, CONF_PIN: "0000"})
    assert result["errors"] == {"base": "invalid_auth"}
    result = await hass.config_entries.flow.async_configure(
        flow_id, {**form, CONF_BASE_URL: f"http://{pe_sim.host}:1/api/v2"}
    )
    assert result["errors"] == {"base": "cannot_connect"}
    pe_sim.inject("malformed_json", times=1)
    result = await hass.config_entries.flow.async_configure(flow_id, form)
    assert result["errors"] == {"base": "unknown"}

    result = await hass.config_entries.flow.async_configure(flow_id, form)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "payment_engine_device"

    # The engine fails when the device is picked: the status check says so.
    pe_sim.inject("error_500", times=1, path="/api/v2/paymentengine/devices")
    result = await hass.config_entries.flow.async_configure(flow_id, {CONF_DEVICE_KEY: PE_DEVICE})
    assert result["errors"] == {"base": "unknown"}

    result = await hass.config_entries.flow.async_configure(flow_id, {CONF_DEVICE_KEY: PE_DEVICE})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Counter"
    assert result["data"] == {**form, "kind": "payment-engine", CONF_DEVICE_KEY: PE_DEVICE}
    assert result["result"].unique_id == PE_DEVICE

    # The same device again: refused at the pick.
    result = await _menu(hass, "payment_engine")
    result = await hass.config_entries.flow.async_configure(result["flow_id"], form)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_DEVICE_KEY: PE_DEVICE}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_user_payment_engine_without_devices(hass: HomeAssistant, loopback: None) -> None:
    """An account with no paired device cannot be added."""
    async with PaymentEngineSimulator(
        host="127.0.0.5", rate_limit=0, devices=(), pin=PE_PIN
    ) as sim:
        described = sim.describe()
        result = await _menu(hass, "payment_engine")
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"],
            {
                CONF_API_KEY: described["api_key"],
                CONF_PIN: described["pin"],
                CONF_BASE_URL: sim.base_url,
            },
        )
    assert result["errors"] == {"base": "no_devices"}


async def test_search(
    hass: HomeAssistant, go_sim: KineticGoSimulator, ds_sim: DeviceServiceSimulator
) -> None:
    """The sweep lists what answered; picking one leads to its credentials form."""
    result = await _menu(hass, "search")
    flow_id = result["flow_id"]
    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_NETWORK: "not a network", CONF_PORTS: "eighty"}
    )
    assert result["errors"] == {CONF_NETWORK: "invalid_network", CONF_PORTS: "invalid_ports"}
    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_NETWORK: "127.0.0.7/32", CONF_PORTS: "8080, 70000"}
    )
    assert result["errors"] == {CONF_PORTS: "invalid_ports"}
    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_NETWORK: "127.0.0.7/32", CONF_PORTS: f"{go_sim.port}"}
    )
    assert result["errors"] == {"base": "no_devices_found"}

    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_NETWORK: "127.0.0.2/31", CONF_PORTS: f"{go_sim.port}, {ds_sim.port}"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "pick"
    assert result["data_schema"] is not None
    options = result["data_schema"].schema[CONF_TERMINAL].config["options"]
    assert sorted(option["value"] for option in options) == [
        f"{GO_HOST}:{go_sim.port}",
        f"{DS_HOST}:{DS_PORT}",
    ]

    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_TERMINAL: f"{GO_HOST}:{go_sim.port}"}
    )
    assert result["step_id"] == "kinetic_go"
    result = await hass.config_entries.flow.async_configure(flow_id, _local_input(go_data(go_sim)))
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["result"].unique_id == "KG2SIM0001"

    # Searching again lists only the DeviceService, which leads to its own form.
    result = await _menu(hass, "search")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_NETWORK: "127.0.0.2/31", CONF_PORTS: f"{go_sim.port}, {ds_sim.port}"},
    )
    assert result["data_schema"] is not None
    options = result["data_schema"].schema[CONF_TERMINAL].config["options"]
    assert [option["value"] for option in options] == [f"{DS_HOST}:{DS_PORT}"]
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_TERMINAL: f"{DS_HOST}:{DS_PORT}"}
    )
    assert result["step_id"] == "device_service"


async def test_search_finds_only_terminals_already_added(
    hass: HomeAssistant,
    go_entry: MockConfigEntry,
    ds_entry: MockConfigEntry,
    go_sim: KineticGoSimulator,
    ds_sim: DeviceServiceSimulator,
) -> None:
    """Terminals answered but are added already: said so, by name, not "none answered"."""
    result = await _menu(hass, "search")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_NETWORK: "127.0.0.2/31", CONF_PORTS: f"{go_sim.port}, {ds_sim.port}"},
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "search"
    assert result["errors"] == {"base": "all_added"}
    placeholders = result["description_placeholders"]
    assert placeholders is not None
    named = placeholders["added"]
    assert f"Kinetic Go 2 KG2SIM0001 ({GO_HOST}:{go_sim.port})" in named
    assert f"{ds_entry.title} ({DS_HOST}:{DS_PORT})" in named
    english = json.loads(
        (Path(__file__).parents[3] / "translations" / "en.json").read_text(encoding="utf-8")
    )
    assert "{added}" in english["config"]["error"]["all_added"]


def _zeroconf(host: str, port: int, properties: dict[str, str]) -> ZeroconfServiceInfo:
    return ZeroconfServiceInfo(
        ip_address=__import__("ipaddress").ip_address(host),
        ip_addresses=[__import__("ipaddress").ip_address(host)],
        hostname="terminal.local.",
        name=f"{properties.get('name', 'x')}._kinetic._tcp.local.",
        port=port,
        type="_kinetic._tcp.local.",
        properties=properties,
    )


async def test_zeroconf_new_terminal(hass: HomeAssistant, go_sim: KineticGoSimulator) -> None:
    """A discovered terminal ends in a confirm step that asks for credentials."""
    info = _zeroconf(
        go_sim.host, go_sim.port, {"kind": "kinetic-go", "serial": "KG2SIM0001", "name": "Bar"}
    )
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_ZEROCONF}, data=info
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "discovery_confirm"
    assert result["description_placeholders"] == {
        "name": "Bar",
        "model": "Kinetic Go 2",
        "host": f"{go_sim.host}:{go_sim.port}",
    }
    data = go_data(go_sim)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**_credentials(data), CONF_PASSWORD: "wrong"}
    )
    assert result["errors"] == {"base": "invalid_auth"}
    result = await hass.config_entries.flow.async_configure(result["flow_id"], _credentials(data))
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"] == data
    assert result["result"].unique_id == "KG2SIM0001"


async def test_zeroconf_wrong_device(hass: HomeAssistant, go_sim: KineticGoSimulator) -> None:
    """An advertisement whose serial is not the answering terminal's is refused."""
    info = _zeroconf(go_sim.host, go_sim.port, {"kind": "kinetic-go", "serial": "OTHER"})
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_ZEROCONF}, data=info
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _credentials(go_data(go_sim))
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "wrong_device"


async def test_zeroconf_known_terminal_moved(
    hass: HomeAssistant, go_entry: MockConfigEntry, go_sim: KineticGoSimulator
) -> None:
    """Discovery of a known terminal at a new address updates the entry and reloads it."""
    await setup_entry(hass, go_entry)
    await go_sim.stop()
    async with KineticGoSimulator(host="127.0.0.5", customer_delay=0.05) as moved:
        info = _zeroconf(moved.host, moved.port, {"kind": "kinetic-go", "serial": "KG2SIM0001"})
        result = await hass.config_entries.flow.async_init(
            DOMAIN, context={"source": SOURCE_ZEROCONF}, data=info
        )
        assert result["type"] is FlowResultType.ABORT
        assert result["reason"] == "already_configured"
        await hass.async_block_till_done()
        assert go_entry.data[CONF_HOST] == "127.0.0.5"
        assert go_entry.data[CONF_PORT] == moved.port
        assert go_entry.state is ConfigEntryState.LOADED
        state = hass.states.get("sensor.kinetic_go_2_kg2sim0001_state")
        assert state is not None
        assert state.state == "idle"
        assert await hass.config_entries.async_unload(go_entry.entry_id)


async def test_zeroconf_http_service(hass: HomeAssistant, ds_sim: DeviceServiceSimulator) -> None:
    """A generic web service named Kinetic on the DeviceService port is a DeviceService."""
    info = _zeroconf(ds_sim.host, ds_sim.port, {})
    info.type = "_http._tcp.local."
    info.name = "Kinetic reader._http._tcp.local."
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_ZEROCONF}, data=info
    )
    assert result["step_id"] == "discovery_confirm"
    assert result["description_placeholders"] == {
        "name": "Kinetic reader",
        "model": "MP200 (DeviceService)",
        "host": f"{DS_HOST}:{DS_PORT}",
    }
    # A web service that says nothing about Kinetic is not ours.
    info = _zeroconf("127.0.0.7", 80, {})
    info.type = "_http._tcp.local."
    info.name = "Printer._http._tcp.local."
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_ZEROCONF}, data=info
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "not_supported"


async def test_zeroconf_not_supported(hass: HomeAssistant) -> None:
    """A cloud device cannot be added from an advertisement (only through its account)."""
    info = _zeroconf("127.0.0.2", 8443, {"kind": "payment-engine", "serial": "X"})
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_ZEROCONF}, data=info
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "not_supported"


async def test_integration_discovery_device_service(
    hass: HomeAssistant, ds_sim: DeviceServiceSimulator
) -> None:
    """An announced DeviceService is known by its address, without a port: the default."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN,
        context={"source": SOURCE_INTEGRATION_DISCOVERY},
        data={CONF_KIND: "device-service", CONF_HOST: DS_HOST, CONF_PORT: None, "serial": None},
    )
    assert result["step_id"] == "discovery_confirm"
    assert (result.get("description_placeholders") or {})["name"] == DS_HOST
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _credentials(ds_data(ds_sim))
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["result"].unique_id == f"{DS_HOST}:{DS_PORT}"


async def test_reauth(
    hass: HomeAssistant, go_entry: MockConfigEntry, go_sim: KineticGoSimulator
) -> None:
    """New credentials are checked against the same terminal, then saved."""
    await setup_entry(hass, go_entry)
    result = await go_entry.start_reauth_flow(hass)
    assert result["step_id"] == "reauth_confirm"
    data = go_data(go_sim)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**_credentials(data), CONF_PASSWORD: "wrong"}
    )
    assert result["errors"] == {"base": "invalid_auth"}
    result = await hass.config_entries.flow.async_configure(result["flow_id"], _credentials(data))
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    await hass.async_block_till_done()


async def test_reauth_wrong_device(
    hass: HomeAssistant, go_entry: MockConfigEntry, go_sim: KineticGoSimulator
) -> None:
    """Credentials of another terminal at the same address are refused."""
    await setup_entry(hass, go_entry)
    port = go_sim.port
    await go_sim.stop()
    async with KineticGoSimulator(host=go_sim.host, port=port, serial="KG2OTHER") as other:
        result = await go_entry.start_reauth_flow(hass)
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], _credentials(go_data(other))
        )
        assert result["type"] is FlowResultType.ABORT
        assert result["reason"] == "wrong_device"
        assert await hass.config_entries.async_unload(go_entry.entry_id)


async def test_reauth_payment_engine(
    hass: HomeAssistant, pe_entry: MockConfigEntry, pe_sim: PaymentEngineSimulator
) -> None:
    """The Payment Engine asks for a new API key and PIN."""
    await setup_entry(hass, pe_entry)
    result = await pe_entry.start_reauth_flow(hass)
    schema_keys = {str(key) for key in result["data_schema"].schema}
    assert schema_keys == {CONF_API_KEY, CONF_PIN}
    data = pe_data(pe_sim)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_KEY: data[CONF_API_KEY], CONF_PIN: data[CONF_PIN]}
    )
    assert result["reason"] == "reauth_successful"
    await hass.async_block_till_done()


async def test_reconfigure(
    hass: HomeAssistant, go_entry: MockConfigEntry, go_sim: KineticGoSimulator
) -> None:
    """A new address is tested, checked to be the same terminal, saved and reloaded."""
    await setup_entry(hass, go_entry)
    result = await go_entry.start_reconfigure_flow(hass)
    assert result["step_id"] == "reconfigure"
    data = go_data(go_sim)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**_local_input(data), CONF_PORT: 1}
    )
    assert result["errors"] == {"base": "cannot_connect"}
    async with KineticGoSimulator(host="127.0.0.6", serial="KG2OTHER") as other:
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], _local_input(go_data(other))
        )
        assert result["type"] is FlowResultType.ABORT
        assert result["reason"] == "wrong_device"
    await go_sim.stop()
    async with KineticGoSimulator(host="127.0.0.5") as moved:
        result = await go_entry.start_reconfigure_flow(hass)
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], _local_input(go_data(moved))
        )
        assert result["type"] is FlowResultType.ABORT
        assert result["reason"] == "reconfigure_successful"
        await hass.async_block_till_done()
        assert go_entry.data[CONF_HOST] == "127.0.0.5"
        assert go_entry.state is ConfigEntryState.LOADED
        assert await hass.config_entries.async_unload(go_entry.entry_id)


async def test_reconfigure_payment_engine(
    hass: HomeAssistant, pe_entry: MockConfigEntry, pe_sim: PaymentEngineSimulator
) -> None:
    """The Payment Engine form has its own fields."""
    await setup_entry(hass, pe_entry)
    result = await pe_entry.start_reconfigure_flow(hass)
    data = pe_data(pe_sim)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            CONF_API_KEY: data[CONF_API_KEY],
            CONF_PIN: data[CONF_PIN],
            CONF_SANDBOX: False,
            CONF_BASE_URL: pe_sim.base_url,
        },
    )
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()


async def test_options(hass: HomeAssistant, go_entry: MockConfigEntry) -> None:
    """The per-sale cap is checked, saved as an exact decimal string, and applied."""
    await setup_entry(hass, go_entry)
    assert str(go_entry.runtime_data.coordinator.terminal.max_amount) == "500.00"
    result = await hass.config_entries.options.async_init(go_entry.entry_id)
    assert result["step_id"] == "init"
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_MAX_AMOUNT: "12.345"}
    )
    assert result["errors"] == {CONF_MAX_AMOUNT: "invalid_amount"}
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_MAX_AMOUNT: "250.5"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    # Who may refund etc. (authorization.py) defaults to administrators only.
    assert go_entry.options == {
        CONF_MAX_AMOUNT: "250.50",
        "managers": [],
        "allow_automations": False,
    }
    assert str(go_entry.runtime_data.coordinator.terminal.max_amount) == "250.50"


async def test_integration_discovery_without_serial(
    hass: HomeAssistant, go_sim: KineticGoSimulator
) -> None:
    """A terminal announced without a serial is keyed by its serial once it answers."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN,
        context={"source": SOURCE_INTEGRATION_DISCOVERY},
        data={CONF_KIND: "kinetic-go", CONF_HOST: go_sim.host, CONF_PORT: go_sim.port},
    )
    assert result["step_id"] == "discovery_confirm"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _credentials(go_data(go_sim))
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["result"].unique_id == "KG2SIM0001"


async def test_integration_discovery_without_serial_known_terminal(
    hass: HomeAssistant, go_entry: MockConfigEntry, go_sim: KineticGoSimulator
) -> None:
    """Once it answers, a terminal announced without a serial may turn out to be known."""
    hass.config_entries.async_update_entry(go_entry, data={**go_entry.data, CONF_PORT: 1})
    result = await hass.config_entries.flow.async_init(
        DOMAIN,
        context={"source": SOURCE_INTEGRATION_DISCOVERY},
        data={CONF_KIND: "kinetic-go", CONF_HOST: go_sim.host, CONF_PORT: go_sim.port},
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _credentials(go_data(go_sim))
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert go_entry.data[CONF_PORT] == go_sim.port
