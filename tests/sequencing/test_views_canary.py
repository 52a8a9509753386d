"""No persona ever sees, on the plan, what-if, status board or ledger (pages, fragments, JSON,
CSV), a marker or an id from a space it cannot read. Uses the canary scenario of tests/web,
where every confidential field of every space carries a marker CANARY-<SPACE>-<WHAT>.

Until these pages are linked from the navigation bar the canary crawl does not reach them, so
this test visits them directly; it also checks that each persona does see its own markers there
(so the check could fail).
"""

from __future__ import annotations

from web import conftest as web_fixtures
from web.crawl import CrawlResult, hidden_ids
from web.support import KEY, PERSONA_NAMES, PERSONAS, Canary

# The canary fixtures of tests/web/conftest.py, made usable here.
canary_templates = web_fixtures.canary_templates
_shared_database = web_fixtures._shared_database
shared_canary = web_fixtures.shared_canary

API = f"/api/v1/processes/{KEY}"
PAGE = f"/p/{KEY}"
FIXED = (
    f"{PAGE}/plan",
    f"{API}/plan",
    f"{PAGE}/plan/what-if?subject=CANARY-PUBLIC-STEP-KEY&slip=1",
    f"{PAGE}/status",
    f"{API}/status",
    f"{PAGE}/ledger",
    f"{PAGE}/ledger?convert=USD",
    f"{API}/ledger?convert=USD",
    f"{PAGE}/ledger.csv",
    f"{PAGE}/constraints/new",
    f"{PAGE}/milestones/new",
)
# What each persona must find there: its own step on the plan, its claims, its pledges.
OWN = {
    "aaa-head": {
        "CANARY-AAA-CONSTRAINT-EXPLANATION",
        "CANARY-AAA-STATUS-CLAIM-NOTE",
        "CANARY-AAA-COMMITMENT-TITLE",
        "CANARY-AAAMED-STEP-TITLE",
    },
    "bbb-viewer": {"CANARY-BBB-CONSTRAINT-EXPLANATION", "CANARY-BBBMED-COMMITMENT-CONDITIONS"},
    "mediator": {"CANARY-MEDIATOR-CONSTRAINT-EXPLANATION", "CANARY-BBBMED-STATUS-CLAIM-NOTE"},
    "anonymous": {"CANARY-PUBLIC-CONSTRAINT-EXPLANATION"},
}


def test_sequencing_and_ledger_pages_never_leak_another_space(shared_canary: Canary) -> None:
    problems = []
    for persona in PERSONA_NAMES:
        spec = PERSONAS[persona]
        client = shared_canary.client(persona)
        hidden = hidden_ids(shared_canary.engine(), spec)
        result = CrawlResult()
        urls = list(FIXED)
        plan = client.get(f"{API}/plan").json()
        for step in plan["steps"]:
            for slip in (1, 60):  # 60 days breaks the 5-day constraint: a conflict by name
                urls.append(f"{PAGE}/plan/what-if?subject={step['key']}&slip={slip}")
                urls.append(f"{API}/plan/what-if?subject={step['key']}&slip={slip}")
        for constraint in plan["constraints"]:
            urls.append(f"{PAGE}/constraints/{constraint['id']}/edit")
        for milestone in plan["milestones"]:
            urls.append(f"{PAGE}/milestones/{milestone['id']}/edit")
        for url in urls:
            response = client.get(url)
            result.check(url, response, spec, hidden)
            if response.status_code not in (200, 303, 403):
                problems.append(f"{persona}: {url} answered {response.status_code}")
        problems += [f"{persona}: {leak.url}: {leak.what}" for leak in result.leaks]
        missing = OWN.get(persona, set()) - result.seen_markers
        if missing:
            problems.append(f"{persona}: never saw its own {sorted(missing)}")
    assert not problems, "\n".join(problems)
