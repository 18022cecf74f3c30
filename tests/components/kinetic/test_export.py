"""The end-of-day export: the action and the CSV download, against two simulated terminals.

What the export says is checked against what the simulators' ledgers saw (counts,
amounts, totals); who may export is checked with Home Assistant's own users and tokens.
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from collections.abc import AsyncIterator
from datetime import timedelta
from decimal import Decimal
from http import HTTPStatus
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import make_mocked_request
from homeassistant.components.http.const import KEY_HASS_USER
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import CONF_PASSWORD
from homeassistant.core import Context, HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers.http import KEY_HASS
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import MockConfigEntry, MockUser
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.kinetic.const import CONF_API_KEY, CONF_PIN, DOMAIN
from custom_components.kinetic.export_rows import (
    COLUMNS,
    TOTAL_FIGURES,
    export_row,
    export_totals,
)
from custom_components.kinetic.export_view import EXPORT_URL, KineticExportView, export_csv
from kinetic_integration import JournalRecord, JournalState, TransactionResult, TransactionType
from kinetic_integration.simulator import (
    DeviceServiceSimulator,
    KineticGoSimulator,
    PaymentEngineSimulator,
)
from kinetic_integration.simulator.ledger import LedgerEntry
from tests.log_hygiene import find_secrets, register_secret

from .conftest import EXTRA_HOSTS, PE_PIN, go_data, setup_entry
from .test_actions import act
from .test_payments import device_id, journal, sale
from .users import admin_context

SECOND_SERIAL = "KG2SIM0002"
#: What an entry keeps that is a credential.
SECRET_KEYS = {CONF_PASSWORD, CONF_API_KEY, CONF_PIN}


@pytest.fixture
async def second_sim(loopback: None) -> AsyncIterator[KineticGoSimulator]:
    """A second Kinetic Go simulator (another terminal of the same shop)."""
    sim = KineticGoSimulator(
        host=EXTRA_HOSTS[0], serial=SECOND_SERIAL, customer_delay=0.05, processing_delay=0.01
    )
    register_secret(*sim.secrets())
    await sim.start()
    yield sim
    await sim.stop()


@pytest.fixture
def second_entry(hass: HomeAssistant, second_sim: KineticGoSimulator) -> MockConfigEntry:
    """The second terminal's entry (not set up)."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title=f"Kinetic Go 2 {SECOND_SERIAL}",
        unique_id=SECOND_SERIAL,
        data=go_data(second_sim),
    )
    entry.add_to_hass(hass)
    return entry


async def _day(
    hass: HomeAssistant, first: MockConfigEntry, second: MockConfigEntry
) -> dict[str, str]:
    """Sales, declines, refunds and a reversal on two terminals; return what they were."""
    # Setting up the first entry sets up the integration, and with it every entry.
    await setup_entry(hass, first)
    assert second.state is ConfigEntryState.LOADED
    paid = await sale(hass, first, amount="12.50", tip="1.50", table="12", clerk="=Sam+1")
    await sale(hass, first, amount="3.01")  # declined: the simulator's .01
    await act(hass, "refund", first, response=True, amount="4.00")
    voided = await sale(hass, first, amount="6.00")
    await act(hass, "reverse", first, response=True, transaction_id=voided["reference"])
    await sale(hass, second, amount="20.00", order_id="A-7")
    await sale(hass, second, amount="7.01")  # declined
    await act(hass, "refund", second, response=True, amount="2.50")
    return {"paid": paid["reference"], "voided": voided["reference"]}


async def _export(
    hass: HomeAssistant, context: Context | None = None, **data: Any
) -> dict[str, Any]:
    """Export as an administrator unless another context is given."""
    answer = await hass.services.async_call(
        DOMAIN,
        "export_transactions",
        data,
        blocking=True,
        return_response=True,
        context=context or await admin_context(hass),
    )
    assert isinstance(answer, dict)
    return answer


def _signed(entry: LedgerEntry) -> Decimal:
    if not entry.moved_money:
        return Decimal(0)
    return -entry.amount if entry.type in ("refund", "reversal") else entry.amount


def _as_in_ledger(rows: list[dict[str, Any]]) -> Counter[tuple[str, str, str]]:
    return Counter((row["type"], row["result"], row["total"]) for row in rows)


async def test_export_matches_the_ledgers(
    hass: HomeAssistant,
    go_entry: MockConfigEntry,
    go_sim: KineticGoSimulator,
    second_entry: MockConfigEntry,
    second_sim: KineticGoSimulator,
) -> None:
    """Every transaction of the day, as each terminal's ledger saw it, with its totals."""
    done = await _day(hass, go_entry, second_entry)
    # Who started it, as the audit trail keeps it (the shared ``started_by`` shape).
    anna = {"type": "user", "user_id": "u1", "name": "anna"}
    await journal(hass).async_set_details(done["paid"], {"started_by": anna})
    closing = {"type": "automation", "entity_id": "automation.close", "name": "Close the day"}
    await journal(hass).async_set_details(done["voided"], {"started_by": closing})
    # No user: an automation or a script may read the export.
    export = await _export(hass)
    assert export["count"] == len(go_sim.ledger) + len(second_sim.ledger) == 8
    assert export["currency"] == hass.config.currency
    for entry, sim in ((go_entry, go_sim), (second_entry, second_sim)):
        rows = [row for row in export["transactions"] if row["terminal"] == entry.title]
        identity = entry.runtime_data.payments.terminal.identity
        assert {row["terminal_identity"] for row in rows} == {identity}
        assert identity.endswith(sim.serial)
        ledger = Counter((e.type, e.result, f"{e.amount:.2f}") for e in sim.ledger)
        assert _as_in_ledger(rows) == ledger
        [total] = [t for t in export["totals"]["by_terminal"] if t["terminal"] == entry.title]
        assert total["count"] == len(sim.ledger)
        assert total["approved_count"] == sum(e.result == "approved" for e in sim.ledger)
        assert Decimal(total["net"]) == sum((_signed(e) for e in sim.ledger), Decimal(0))
    by_reference = {row["reference"]: row for row in export["transactions"]}
    paid = by_reference[done["paid"]]
    assert (paid["amount"], paid["tip"], paid["total"]) == ("12.50", "1.50", "14.00")
    assert (paid["table"], paid["clerk"], paid["state"]) == ("12", "=Sam+1", "final")
    assert paid["masked_pan"].endswith("0119")
    assert paid["auth_code"]
    assert paid["card_network"]
    assert (paid["started_by"], paid["started_by_text"]) == (anna, "anna")
    voided = by_reference[done["voided"]]
    assert voided["started_by_text"] == "automation Close the day"
    # Started by a call without a user, from no automation or script: unknown, with the
    # call's context id to trace it by.
    [declined, *_] = [row for row in export["transactions"] if row["result"] == "declined"]
    assert declined["started_by"]["type"] == "unknown"
    assert declined["started_by"]["context_id"]
    assert declined["started_by_text"] == "unknown"
    [reversal] = [row for row in export["transactions"] if row["type"] == "reversal"]
    assert (reversal["original_reference"], reversal["total"]) == (done["voided"], "6.00")
    # Net: 14.00 - 4.00 + 6.00 - 6.00 on the first, 20.00 - 2.50 on the second.
    assert export["totals"]["all"] == {
        "count": 8,
        "amount": "62.52",
        "approved_count": 6,
        "approved_amount": "52.50",
        "net": "27.50",
    }
    by_type = {t["type"]: t for t in export["totals"]["by_type"]}
    assert (by_type["sale"]["count"], by_type["sale"]["net"]) == (5, "40.00")
    assert (by_type["refund"]["approved_amount"], by_type["refund"]["net"]) == ("6.50", "-6.50")
    by_result = {t["result"]: t for t in export["totals"]["by_result"]}
    assert (by_result["declined"]["count"], by_result["declined"]["amount"]) == (2, "10.02")
    assert by_result["declined"]["net"] == "0.00"
    # Exactly what Sales today says for each terminal.
    for state in hass.states.async_all("sensor"):
        if state.entity_id.endswith("sales_today"):
            assert state.state in {t["net"] for t in export["totals"]["by_terminal"]}


async def test_terminal_type_and_result_filters(
    hass: HomeAssistant,
    go_entry: MockConfigEntry,
    second_entry: MockConfigEntry,
    second_sim: KineticGoSimulator,
) -> None:
    """Only the terminals, types and results asked for, and totals of those only."""
    await _day(hass, go_entry, second_entry)
    second = device_id(hass, second_entry)
    export = await _export(hass, device_id=second)
    assert export["count"] == len(second_sim.ledger) == 3
    assert [t["terminal"] for t in export["totals"]["by_terminal"]] == [second_entry.title]
    assert export["totals"]["all"]["net"] == "17.50"
    both = await _export(hass, device_id=[second, device_id(hass, go_entry)], type=["sale"])
    assert {row["type"] for row in both["transactions"]} == {"sale"}
    assert both["count"] == 5
    declined = await _export(hass, result="declined")
    assert sorted(row["amount"] for row in declined["transactions"]) == ["3.01", "7.01"]
    # A terminal that is not loaded is still found by its entry.
    await hass.config_entries.async_unload(second_entry.entry_id)
    await hass.async_block_till_done()
    unloaded = await _export(hass, device_id=second)
    assert [row["reference"] for row in unloaded["transactions"]] == [
        row["reference"] for row in export["transactions"]
    ]
    with pytest.raises(ServiceValidationError) as err:
        await _export(hass, device_id="no-such-device")
    assert err.value.translation_key == "device_not_found"


async def test_date_range_in_home_assistant_time_zone(
    hass: HomeAssistant, go_entry: MockConfigEntry
) -> None:
    """A date is its whole local day; times are exact; the default is today."""
    await setup_entry(hass, go_entry)
    today = dt_util.start_of_local_day()
    yesterday = (today - timedelta(days=1)).date()
    identity = go_entry.runtime_data.payments.terminal.identity

    def _record(
        reference: str, at: Any, type_: TransactionType = TransactionType.SALE
    ) -> tuple[JournalRecord, dict[str, Any]]:
        record = JournalRecord(
            reference=reference,
            terminal=identity,
            type=type_,
            amount="5.00" if type_ is TransactionType.SALE else None,
            state=JournalState.FINAL,
            result=TransactionResult.APPROVED,
            created_at=at,
            updated_at=at,
        )
        return record, {"tip": "0.50"} if type_ is TransactionType.SALE else {"original_id": "late"}

    last_minute = today - timedelta(minutes=1)
    await journal(hass).database.merge(
        [
            _record("late", last_minute),
            _record("midnight", today),
            # Voids yesterday's sale; the journal keeps no amount of its own for it.
            _record("void", today + timedelta(seconds=2), TransactionType.REVERSAL),
        ]
    )
    now = await sale(hass, go_entry, amount="2.00")
    export = await _export(hass)
    assert [row["reference"] for row in export["transactions"]] == [
        "midnight",
        "void",
        now["reference"],
    ]
    # The voided sale (outside the range) is read for its total: 5.50 went back.
    assert export["transactions"][1]["total"] == "5.50"
    assert export["totals"]["all"]["net"] == "2.00"
    day_before = await _export(hass, end=yesterday.isoformat())
    assert [row["reference"] for row in day_before["transactions"]] == ["late"]
    assert day_before["start"] == (today - timedelta(days=1)).isoformat()
    assert day_before["end"] == today.isoformat()
    assert day_before["transactions"][0]["terminal"] == go_entry.title
    both_days = await _export(hass, start=yesterday.isoformat())
    assert both_days["count"] == 4
    moment = (today + timedelta(seconds=1)).strftime("%Y-%m-%d %H:%M:%S")
    window = await _export(hass, start=str(yesterday), end=moment)
    assert [row["reference"] for row in window["transactions"]] == ["late", "midnight"]
    with pytest.raises(ServiceValidationError) as err:
        await _export(hass, start=str(today.date()), end=str(yesterday))
    assert err.value.translation_key == "export_invalid_range"


async def test_only_administrators_may_export(
    hass: HomeAssistant,
    go_entry: MockConfigEntry,
    hass_admin_user: MockUser,
    hass_read_only_user: MockUser,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A user who is not an administrator is refused, in words; an administrator is not."""
    await setup_entry(hass, go_entry)
    await sale(hass, go_entry, amount="9.00")
    assert (await _export(hass, Context(user_id=hass_admin_user.id)))["count"] == 1
    for user_id in (hass_read_only_user.id, "no-such-user"):
        with pytest.raises(ServiceValidationError) as err:
            await _export(hass, Context(user_id=user_id))
        assert err.value.translation_key == "export_not_admin"
        assert str(err.value) == "Only Home Assistant administrators may export the transactions"
    assert "Refused export_transactions on every terminal: no-such-user is not an" in caplog.text


async def test_calls_without_a_user_export_only_from_automations_and_scripts(
    hass: HomeAssistant, go_entry: MockConfigEntry, caplog: pytest.LogCaptureFixture
) -> None:
    """A script exports without any option; a call from nowhere known is refused."""
    await setup_entry(hass, go_entry)
    await sale(hass, go_entry, amount="9.00")
    for context in (Context(), Context(parent_id="homekit-context")):
        with pytest.raises(ServiceValidationError) as err:
            await hass.services.async_call(
                DOMAIN, "export_transactions", {}, blocking=True, return_response=True,
                context=context,
            )  # fmt: skip
        assert err.value.translation_key == "export_origin_unknown"
        assert str(err.value) == (
            "Only Home Assistant administrators, automations and scripts may export the"
            " transactions; this call has no user and comes from no automation or script"
        )
    assert "Refused export_transactions on every terminal: started by unknown" in caplog.text
    assert await async_setup_component(
        hass,
        "script",
        {
            "script": {
                "books": {
                    "alias": "Books",
                    "sequence": [
                        {"action": "kinetic.export_transactions", "response_variable": "day"},
                        {"stop": "done", "response_variable": "day"},
                    ],
                }
            }
        },
    )
    answer = await hass.services.async_call("script", "books", blocking=True, return_response=True)
    assert answer is not None
    assert answer["count"] == 1


async def test_csv_download_needs_a_user(hass: HomeAssistant, go_entry: MockConfigEntry) -> None:
    """A request the web server let through without a user gets no file (403)."""
    await setup_entry(hass, go_entry)
    await sale(hass, go_entry, amount="9.00")
    app = web.Application()
    app[KEY_HASS] = hass
    request = make_mocked_request("GET", EXPORT_URL, app=app)
    request[KEY_HASS_USER] = None
    answer = await KineticExportView().get(request)
    assert answer.status == HTTPStatus.FORBIDDEN
    assert isinstance(answer, web.Response)
    assert answer.text is not None
    assert "9.00" not in answer.text


async def test_csv_download(
    hass: HomeAssistant,
    *,
    go_entry: MockConfigEntry,
    go_sim: KineticGoSimulator,
    second_entry: MockConfigEntry,
    second_sim: KineticGoSimulator,
    hass_client: ClientSessionGenerator,
) -> None:
    """An administrator downloads the records, then the totals; nothing secret in either."""
    await _day(hass, go_entry, second_entry)
    export = await _export(hass)
    client = await hass_client()
    answer = await client.get(EXPORT_URL)
    assert answer.status == HTTPStatus.OK
    today = dt_util.now().date().isoformat()
    assert answer.headers["Content-Disposition"] == (
        f"attachment; filename=kinetic-transactions-{today}.csv"
    )
    assert answer.headers["Content-Type"] == "text/csv; charset=utf-8"
    body = (await answer.read()).decode("utf-8")
    assert body.startswith("\ufeff")
    text = body.removeprefix("\ufeff")
    assert text == export_csv(export)
    lines = list(csv.reader(io.StringIO(text)))
    assert lines[0] == list(COLUMNS)
    records = lines[1 : 1 + export["count"]]
    assert [line[0] for line in records] == [row["reference"] for row in export["transactions"]]
    clerk = records[0][COLUMNS.index("clerk")]
    # A spreadsheet would run "=Sam+1" as a formula: written as text.
    assert clerk == "'=Sam+1"
    assert records[0][COLUMNS.index("created_at")].count(":") == 2
    assert lines[1 + export["count"]] == []
    totals = lines[2 + export["count"] :]
    assert totals[0] == ["total_of", "name", "terminal_identity", *TOTAL_FIGURES, "currency"]
    assert totals[1] == ["all", "all transactions", "", "8", "62.52", "6", "52.50", "27.50", "EUR"]
    assert [line[0] for line in totals[1:]].count("terminal") == 2
    # A refund's net is negative: a number, not a formula to quote.
    [refunds] = [line for line in totals if line[:2] == ["type", "refund"]]
    assert refunds[7] == "-6.50"
    # Filters as query parameters, repeated for several.
    only = await client.get(
        EXPORT_URL, params=[("device_id", device_id(hass, second_entry)), ("type", "refund")]
    )
    only_lines = list(csv.reader(io.StringIO((await only.read()).decode("utf-8-sig"))))
    assert [line[COLUMNS.index("type")] for line in only_lines[1:2]] == ["refund"]
    assert only_lines[2] == []
    bad = await client.get(EXPORT_URL, params={"type": "gift"})
    assert bad.status == HTTPStatus.BAD_REQUEST
    backwards = await client.get(EXPORT_URL, params={"start": today, "end": "2020-01-01"})
    assert backwards.status == HTTPStatus.BAD_REQUEST
    assert "is not after its start" in (await backwards.json())["message"]
    # No password, card data or full card number in the export, the CSV or its answer.
    secrets = {*go_sim.secrets(), *second_sim.secrets()}
    assert not find_secrets([json.dumps(export), text], secrets)
    assert not find_secrets([json.dumps(export), text], {"4111111111111111", "0119=2512"})


async def test_csv_download_of_several_days_is_named_by_both(
    hass: HomeAssistant, go_entry: MockConfigEntry, hass_client: ClientSessionGenerator
) -> None:
    """``kinetic-transactions-FIRST--LAST.csv`` for a range of several days."""
    await setup_entry(hass, go_entry)
    client = await hass_client()
    answer = await client.get(EXPORT_URL, params={"start": "2026-11-01", "end": "2026-11-30"})
    assert answer.status == HTTPStatus.OK
    assert answer.headers["Content-Disposition"].endswith(
        "filename=kinetic-transactions-2026-11-01--2026-11-30.csv"
    )
    lines = list(csv.reader(io.StringIO((await answer.read()).decode("utf-8-sig"))))
    assert lines[1] == []
    assert lines[3][:4] == ["all", "all transactions", "", "0"]


async def test_csv_download_refused_to_others(
    hass: HomeAssistant,
    go_entry: MockConfigEntry,
    hass_client: ClientSessionGenerator,
    hass_client_no_auth: ClientSessionGenerator,
    hass_read_only_access_token: str,
) -> None:
    """401 without a login, 403 with the reason for a user who is not an administrator."""
    await setup_entry(hass, go_entry)
    await sale(hass, go_entry, amount="9.00")
    anonymous = await (await hass_client_no_auth()).get(EXPORT_URL)
    assert anonymous.status == HTTPStatus.UNAUTHORIZED
    reader = await hass_client(hass_read_only_access_token)
    refused = await reader.get(EXPORT_URL)
    assert refused.status == HTTPStatus.FORBIDDEN
    assert await refused.json() == {
        "message": "Only Home Assistant administrators may export the transactions",
        "code": "unauthorized",
    }
    assert "9.00" not in await refused.text()


async def test_no_secret_in_the_export_of_any_kind(
    hass: HomeAssistant,
    *,
    go_entry: MockConfigEntry,
    pe_entry: MockConfigEntry,
    ds_entry: MockConfigEntry,
    go_sim: KineticGoSimulator,
    pe_sim: PaymentEngineSimulator,
    ds_sim: DeviceServiceSimulator,
    hass_client: ClientSessionGenerator,
) -> None:
    """Passwords, API keys, PINs, card data: none in the action's answer or the CSV."""
    await setup_entry(hass, go_entry)
    for entry in (go_entry, pe_entry, ds_entry):
        answer = await sale(hass, entry, amount="11.00", clerk="Kim")
        assert answer["result"] == "approved"
    export = await _export(hass)
    assert export["count"] == 3
    assert all(row["masked_pan"] for row in export["transactions"])
    text = await (await (await hass_client()).get(EXPORT_URL)).text()
    assert text.count("11.00") >= 3
    secrets = {*go_sim.secrets(), *pe_sim.secrets(), *ds_sim.secrets()}
    for entry in (go_entry, pe_entry, ds_entry):
        secrets |= {str(value) for key, value in entry.data.items() if key in SECRET_KEYS and value}
    assert {PE_PIN, pe_sim.describe()["api_key"]} <= secrets
    assert not find_secrets([json.dumps(export), text], secrets)


def _journal_record(
    reference: str, type_: TransactionType, amount: str | None, **changes: Any
) -> JournalRecord:
    values: dict[str, Any] = {
        "reference": reference,
        "terminal": "kinetic-go:serial:KG2SIM0001",
        "type": type_,
        "amount": amount,
        "state": JournalState.FINAL,
        "result": TransactionResult.APPROVED,
        "created_at": dt_util.utcnow(),
        "updated_at": dt_util.utcnow(),
    }
    values.update(changes)
    return JournalRecord(**values)


def test_rows_count_what_moved() -> None:
    """Partial approvals, duplicates, authorisations and unconfirmed outcomes."""
    cases: list[tuple[JournalRecord, dict[str, Any]]] = [
        # A partial approval moved the authorised amount (and the tip).
        (
            _journal_record("partial", TransactionType.SALE, "30.00"),
            {"authorized_amount": "20.00", "tip": "2.00", "masked_pan": "4111111111111111"},
        ),
        # Folded by the gateway into an earlier charge: nothing new moved.
        (_journal_record("dup", TransactionType.SALE, "9.00"), {"is_duplicate": True}),
        # Funds held, not taken.
        (_journal_record("hold", TransactionType.AUTHORIZATION, "50.00"), {}),
        # Sent, outcome not confirmed: unknown, never declined, and not counted.
        (
            _journal_record(
                "open", TransactionType.SALE, "7.00", state=JournalState.SENT, result=None
            ),
            {},
        ),
        (_journal_record("back", TransactionType.REFUND, "5.00"), {}),
    ]
    rows = [
        export_row(record, details, terminal="Bar", currency="GBP") for record, details in cases
    ]
    by_reference = {row["reference"]: (row, net) for row, net in rows}
    partial, partial_net = by_reference["partial"]
    assert (partial["total"], partial_net) == ("22.00", Decimal("22.00"))
    # A misbehaving terminal's full number is masked again.
    assert partial["masked_pan"] == "************1111"
    assert by_reference["dup"][0]["is_duplicate"] is True
    assert by_reference["dup"][1] == 0
    assert by_reference["hold"][1] == 0
    unconfirmed, unconfirmed_net = by_reference["open"]
    assert (unconfirmed["result"], unconfirmed["state"]) == ("unknown", "sent")
    assert unconfirmed_net == 0
    totals = export_totals(rows)
    assert totals["all"] == {
        "count": 5,
        "amount": "93.00",
        "approved_count": 4,
        "approved_amount": "86.00",
        "net": "17.00",
    }
    assert [t["result"] for t in totals["by_result"]] == ["approved", "unknown"]
    assert [(t["terminal"], t["net"]) for t in totals["by_terminal"]] == [("Bar", "17.00")]
