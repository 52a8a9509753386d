"""Issue 13: the ledger keeps its books and every pledge has an owner.

Each attack reported in the issue is a test here, on SQLite, PostgreSQL and PostgreSQL behind
row-level security, through the JSON API and the forms:

* Russia patching Germany's pledge ``de-recon`` (a pledge and its deliveries are recorded by
  the donor's delegation, a coalition's counting for its members, and by the mediator);
* a delivery of 30 bn against 20 bn allocated (refused unless an overrun is recorded, with its
  reason);
* "honoured" on a pledge (an assessment is for guarantees and obligations, by a monitor or the
  mediator);
* a euro delivery on a dollar pledge pooled with another donor's euros (a delivered share of
  1.67): a delivery in another currency needs its conversion, and counts in the pledge's
  currency, shown as converted;
* Europe's head refused a delivery on the EU's own pledge (Europe is the EU's coalition);
* fulfilment events unable to cite evidence.

Miami's money (examples/miami/scenario.yaml, illustrative): the EU's USD 100 bn (public, USD 20
bn allocated), Germany's EUR 3 bn (participants).
"""

from __future__ import annotations

import csv
import io
import re
from decimal import Decimal
from html import unescape
from typing import Any

import sqlalchemy as sa

from commitments.miami import KEY, Miami
from parley.commitments.models import Commitment, FulfilmentEvent
from parley.db.engine import read_session

API = f"/api/v1/processes/{KEY}"
PAGE = f"/p/{KEY}"
QUOTE = "The European Union has committed $100 billion to Kyiv for the coming two years."


def _ids(m: Miami) -> dict[str, str]:
    with read_session(m.owner_engine) as session:
        return {k: str(i) for k, i in session.execute(sa.select(Commitment.key, Commitment.id))}


def _post(m: Miami, user: str, path: str, body: dict[str, Any]) -> Any:
    return m.client(user).post(f"{API}/{path}", json=body, headers=m.csrf(user))


def _events(m: Miami, key: str) -> list[FulfilmentEvent]:
    with read_session(m.owner_engine) as session:
        return list(
            session.scalars(
                sa.select(FulfilmentEvent)
                .join(Commitment, Commitment.id == FulfilmentEvent.commitment_id)
                .where(Commitment.key == key)
                .order_by(FulfilmentEvent.occurred_on)
            )
        )


def _delivery(ids: dict[str, str], amount: str, **more: Any) -> dict[str, Any]:
    return {
        "commitment_id": ids["eu-100bn"],
        "kind": "delivered",
        "amount": amount,
        "currency": "USD",
        "occurred_on": "2026-03-02",
        **more,
    }


# --------------------------------------------------------------------------- ownership


def test_russia_cannot_patch_or_book_against_germanys_pledge(miami_web: Miami) -> None:
    m = miami_web
    ids = _ids(m)
    russia = m.client("russia")
    patched = russia.patch(
        f"{API}/commitments/{ids['de-recon']}",
        json={"title": "Rewritten by Russia"},
        headers=m.csrf("russia"),
    )
    assert patched.status_code == 403
    form = russia.post(
        f"{PAGE}/commitments/{ids['de-recon']}/edit",
        data=m.form("russia", title="Rewritten by Russia", conditions="", period_text=""),
    )
    assert form.status_code == 403
    event = _post(
        m,
        "russia",
        "fulfilment-events",
        {"commitment_id": ids["de-recon"], "kind": "pledged", "occurred_on": "2026-01-05"},
    )
    assert event.status_code == 403
    # Nor may Russia record a pledge in Germany's name.
    made = _post(
        m,
        "russia",
        "commitments",
        {
            "key": "fake-de",
            "kind": "pledge",
            "title": "A pledge Germany never made",
            "donor": "DE",
            "amount": "1",
            "currency": "EUR",
            "space": "participants",
        },
    )
    assert made.status_code == 403
    with read_session(m.owner_engine) as session:
        title = session.scalar(sa.select(Commitment.title).where(Commitment.key == "de-recon"))
        assert title == "German contribution to the Ukraine Reconstruction Fund (hypothetical)"
        assert session.scalar(sa.select(Commitment.id).where(Commitment.key == "fake-de")) is None
    assert len(_events(m, "de-recon")) == 1


def test_europe_records_deliveries_on_the_eus_own_pledge(miami_web: Miami) -> None:
    """The EU is a member of the Europe coalition: Europe's delegation is the EU's."""
    m = miami_web
    ids = _ids(m)
    response = _post(m, "europe", "fulfilment-events", _delivery(ids, "1000000000"))
    assert response.status_code == 201, response.text
    assert [str(e.kind) for e in _events(m, "eu-100bn")][-1] == "delivered"
    # Europe's read-only viewer may not; Ukraine, the recipient, may not book the donor's money.
    assert _post(m, "europe-viewer", "fulfilment-events", _delivery(ids, "1")).status_code == 403
    assert _post(m, "ukraine", "fulfilment-events", _delivery(ids, "1")).status_code == 403
    # The mediator may, for any donor.
    assert _post(m, "mediator", "fulfilment-events", _delivery(ids, "1")).status_code == 201


# --------------------------------------------------------------------------- the books


def test_a_delivery_beyond_the_allocation_needs_an_explicit_overrun(miami_web: Miami) -> None:
    m = miami_web
    ids = _ids(m)
    refused = _post(m, "europe", "fulfilment-events", _delivery(ids, "30000000000"))
    assert refused.status_code == 422
    assert "amount" in refused.text and "20,000,000,000" in refused.text
    assert len(_events(m, "eu-100bn")) == 2  # nothing written

    # Allocating beyond the pledge is refused the same way.
    over = _post(
        m,
        "europe",
        "fulfilment-events",
        {**_delivery(ids, "90000000000"), "kind": "allocated"},
    )
    assert over.status_code == 422 and "100,000,000,000" in over.text

    # An overrun recorded explicitly, with its reason, is kept and shown.
    reason = "Illustrative: an advance on the second year's allocation"
    kept = _post(
        m, "europe", "fulfilment-events", _delivery(ids, "30000000000", overrun_reason=reason)
    )
    assert kept.status_code == 201, kept.text
    assert _events(m, "eu-100bn")[-1].overrun_reason == reason
    item = next(
        i for i in m.client("europe").get(f"{API}/ledger").json()["items"] if i["key"] == "eu-100bn"
    )
    assert item["events"][-1]["overrun_reason"] == reason
    assert item["status"] == "delivered"


def test_honoured_is_an_assessment_of_obligations_not_of_pledges(miami_web: Miami) -> None:
    m = miami_web
    ids = _ids(m)
    assessment = {"kind": "honoured", "occurred_on": "2026-03-01"}
    on_pledge = _post(
        m, "mediator", "fulfilment-events", {**assessment, "commitment_id": ids["eu-100bn"]}
    )
    assert on_pledge.status_code == 422 and "kind" in on_pledge.text
    # A party does not assess its own obligation, nor another's: that is a monitor's word.
    own = {**assessment, "commitment_id": ids["ua-elections"]}
    assert _post(m, "ukraine", "fulfilment-events", own).status_code == 403
    ceasefire = {**assessment, "kind": "breached", "commitment_id": ids["ru-ceasefire"]}
    assert _post(m, "ukraine", "fulfilment-events", ceasefire).status_code == 403
    assert _post(m, "mediator", "fulfilment-events", ceasefire).status_code == 201
    with read_session(m.owner_engine) as session:
        status = session.scalar(
            sa.select(Commitment.status).where(Commitment.key == "ru-ceasefire")
        )
    assert str(status) == "breached"
    # Allocations are for pledges only.
    money = {
        "commitment_id": ids["us-guarantee"],
        "kind": "allocated",
        "amount": "5",
        "currency": "USD",
        "occurred_on": "2026-03-01",
    }
    assert _post(m, "mediator", "fulfilment-events", money).status_code == 422


def test_the_status_of_a_pledge_is_not_an_input(miami_web: Miami) -> None:
    m = miami_web
    ids = _ids(m)
    response = m.client("europe").patch(
        f"{API}/commitments/{ids['de-recon']}",
        json={"status": "delivered"},
        headers=m.csrf("europe"),
    )
    assert response.status_code == 422
    assert "status" in response.text


def test_a_euro_delivery_on_a_dollar_pledge_is_converted_never_pooled(miami_web: Miami) -> None:
    m = miami_web
    ids = _ids(m)
    euros = {**_delivery(ids, "5000000000"), "currency": "EUR"}
    refused = _post(m, "europe", "fulfilment-events", euros)
    assert refused.status_code == 422 and "rate" in refused.text
    converted = {
        **euros,
        "rate": "1.17",
        "rate_on": "2026-03-02",
        "rate_source": "Illustrative reference rate of the reporting date",
    }
    assert _post(m, "europe", "fulfilment-events", converted).status_code == 201

    data = m.client("europe").get(f"{API}/ledger").json()
    totals = data["totals"]["by_currency"]
    # Germany's euros are alone in the EUR line: nothing of the EU's dollar pledge joins them.
    assert totals["EUR"]["delivered"] == "0"
    assert totals["EUR"]["delivered_share"] in ("0", "0.0000")
    # The EU's delivery counts in dollars, converted at the stated rate, and says so.
    assert Decimal(totals["USD"]["delivered"]) == Decimal("5850000000.00")
    eu = next(i for i in data["items"] if i["key"] == "eu-100bn")
    last = eu["events"][-1]
    assert (last["amount"], last["currency"]) == ("5000000000.00", "EUR")
    assert last["conversion"] == {
        "rate": "1.17",
        "on": "2026-03-02",
        "source": "Illustrative reference rate of the reporting date",
        "amount": "5850000000.00",
        "currency": "USD",
    }

    rows = list(csv.DictReader(io.StringIO(m.client("europe").get(f"{PAGE}/ledger.csv").text)))
    row = next(r for r in rows if r["commitment"] == "eu-100bn" and r["event_currency"] == "EUR")
    assert (row["event_rate"], row["event_rate_on"]) == ("1.17", "2026-03-02")
    assert (row["event_converted_amount"], row["event_converted_currency"]) == (
        "5850000000.00",
        "USD",
    )

    html = unescape(m.client("europe").get(f"{PAGE}/ledger").text)
    entry = re.search(r'data-commitment="eu-100bn".*?</article>', html, re.S)
    assert entry and "EUR 5,000,000,000" in entry.group(0)
    assert "converted at 1.17" in entry.group(0) and "USD 5,850,000,000" in entry.group(0)


# --------------------------------------------------------------------------- evidence


def test_a_fulfilment_event_cites_its_evidence_from_the_api_and_the_form(miami_web: Miami) -> None:
    m = miami_web
    ids = _ids(m)
    body = {
        "commitment_id": ids["eu-100bn"],
        "kind": "pledged",
        "occurred_on": "2025-12-23",
        "evidence": [{"source": "report-miami", "quote": QUOTE}],
    }
    assert _post(m, "europe", "fulfilment-events", body).status_code == 201
    eu = next(
        i for i in m.client("europe").get(f"{API}/ledger").json()["items"] if i["key"] == "eu-100bn"
    )
    cited = next(e for e in eu["events"] if e["occurred_on"] == "2025-12-23")
    assert cited["evidence"][0]["quote"] == QUOTE
    assert cited["evidence"][0]["source"] == "report-miami"

    # A quote that is not in the source is refused, naming the field.
    wrong = {**body, "evidence": [{"source": "report-miami", "quote": "Not in the report."}]}
    response = _post(m, "europe", "fulfilment-events", wrong)
    assert response.status_code == 422 and "evidence" in response.text

    # The form, reached from the ledger page, takes the same evidence.
    client = m.client("europe")
    ledger = client.get(f"{PAGE}/ledger").text
    assert f"{PAGE}/fulfilment-events/new?commitment={ids['eu-100bn']}" in unescape(ledger)
    page = client.get(f"{PAGE}/fulfilment-events/new?commitment={ids['eu-100bn']}")
    assert page.status_code == 200 and 'name="evidence_source"' in page.text
    posted = client.post(
        f"{PAGE}/fulfilment-events",
        data=m.form(
            "europe",
            commitment_id=ids["eu-100bn"],
            kind="allocated",
            amount="1000000000",
            currency="USD",
            occurred_on="2026-03-03",
            evidence_source="report-miami",
            evidence_quote=QUOTE,
        ),
    )
    assert posted.status_code == 303, posted.text
    events = _events(m, "eu-100bn")
    assert str(events[-1].kind) == "allocated"


def test_a_refused_ledger_form_keeps_the_input_and_names_the_field(miami_web: Miami) -> None:
    m = miami_web
    ids = _ids(m)
    client = m.client("europe")
    response = client.post(
        f"{PAGE}/fulfilment-events",
        data=m.form(
            "europe",
            commitment_id=ids["eu-100bn"],
            kind="delivered",
            amount="30000000000",
            currency="USD",
            occurred_on="2026-03-02",
            note="Illustrative typed note",
        ),
    )
    assert response.status_code == 422
    html = response.text
    assert 'value="30000000000"' in html and "Illustrative typed note" in html
    error = re.search(r'<p class="field-error" id="amount-error">(.*?)</p>', html, re.S)
    assert error and "20,000,000,000" in unescape(error.group(1))
