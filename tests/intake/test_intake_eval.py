"""The evaluation on the gold reports must not fall below its floors."""

import json
from pathlib import Path

from typer.testing import CliRunner

from parley.intake.evaluate import EvalReport, score_report

GOLD = Path(__file__).parent / "gold"
HELDOUT = Path(__file__).parent / "heldout"
HELDOUT40 = (
    Path(__file__).parent / "heldout40"
)  # issue 17: held out in round 1, tuned on in round 2
DEV = Path(__file__).parent / "dev"  # issue 17: the tuning set of round 1
HELDOUT2 = Path(__file__).parent / "heldout2"  # issue 17: never tuned on (annotated before any run)
runner = CliRunner()

# The issue's targets. The gold set was written by the engineer who wrote the rules, so the
# held-out set (annotated before the extractor ever ran on it, never tuned against) has its own,
# lower floors: they guard against regressions, not claim accuracy.
GOLD_FLOORS = {
    "people_with_titles": 0.85,
    "meetings": 0.75,
    "commitments": 0.8,
    "documents": 0.8,
    "demands": 0.8,
}
HELDOUT_FLOORS = {"people_with_titles": 0.75, "meetings": 0.6, "commitments": 0.8, "demands": 0.7}
# Regression floors a little under what was measured (docs/intake.md), not the issue's goals.
# heldout40 became a development set in round 2, so its floors are those of a tuned set.
HELDOUT40_FLOORS = {
    "people_with_titles": 0.95,
    "meetings": 0.88,
    "commitments": 0.95,
    "statements": 0.9,
}
# The set no rule was tuned on: floors under its one measurement, far under the goals it misses.
HELDOUT2_FLOORS = {
    "people_with_titles": 0.9,
    "meetings": 0.58,
    "commitments": 0.65,
    "statements": 0.5,
}
DEV_FLOORS = {"people_with_titles": 0.9, "meetings": 0.85, "commitments": 0.9, "statements": 0.9}


def test_the_gold_set_has_at_least_twenty_annotated_reports() -> None:
    pairs = [p for p in GOLD.glob("*.txt") if p.with_suffix(".json").exists()]
    assert len(pairs) >= 20
    for path in pairs:
        data = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
        text = path.read_text(encoding="utf-8")
        assert data["illustrative"] is True
        for field in ("meetings", "quotes", "documents", "commitments", "demands", "warnings"):
            for item in data[field]:
                start, end = item["evidence"]
                assert 0 <= start < end <= len(text), (path.name, field)


def test_intake_eval_meets_the_floors_on_the_gold_set(intake_app) -> None:
    result = runner.invoke(intake_app, ["intake-eval", str(GOLD), "--format", "json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    for field, floor in GOLD_FLOORS.items():
        assert report["fields"][field]["f1"] >= floor, field
    assert report["quote_speaker_accuracy"] >= 0.9


def test_intake_eval_on_the_held_out_set(intake_app) -> None:
    result = runner.invoke(intake_app, ["intake-eval", str(HELDOUT), "--format", "json"])
    report = json.loads(result.stdout)
    for field, floor in HELDOUT_FLOORS.items():
        assert report["fields"][field]["f1"] >= floor, field
    assert report["quote_speaker_accuracy"] >= 0.8


def test_intake_eval_prints_a_table_and_refuses_a_missing_folder(
    intake_app, tmp_path: Path
) -> None:
    table = runner.invoke(intake_app, ["intake-eval", str(HELDOUT)])
    assert "people with titles" in table.stdout and "quote speaker accuracy" in table.stdout
    missing = runner.invoke(intake_app, ["intake-eval", str(tmp_path / "none")])
    assert missing.exit_code == 2 and "is not a folder" in missing.stderr


def test_scoring_counts_wrong_titles_and_speakers() -> None:
    gold = {
        "people": [{"name": "A B", "title": "envoy"}],
        "meetings": [{"date": "2025-12-22", "place": "Miami"}],
        "commitments": [{"donor": "EU", "amount": 1, "currency": "EUR"}],
        "documents": [],
        "demands": [],
        "parties": [],
        "quotes": [{"speaker": "A B", "text": "We made progress."}],
    }
    pred = {
        "people": [{"name": "A B", "title": "president"}],
        "meetings": [{"date": "2025-12-22", "place": "Miami"}],
        "commitments": [{"donor": "EU", "amount": 1, "currency": "USD"}],
        "documents": [],
        "demands": [],
        "parties": [],
        "quotes": [{"speaker": "C D", "speakers": ["C D"], "text": "We made progress"}],
    }
    report = EvalReport()
    score_report(gold, pred, report)
    assert report.scores["people_with_titles"].f1 == 0
    assert report.scores["meetings"].f1 == 1
    assert report.scores["commitments"].f1 == 0
    assert report.scores["quotes"].f1 == 1 and report.quote_speaker_accuracy == 0


def test_the_issue_17_sets_are_illustrative_and_annotated_for_what_they_score() -> None:
    for folder, at_least in ((HELDOUT40, 40), (DEV, 15), (HELDOUT2, 40)):
        pairs = [p for p in folder.glob("*.txt") if p.with_suffix(".json").exists()]
        assert len(pairs) >= at_least, folder
        for path in pairs:
            data = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
            assert data["illustrative"] is True and data["style"], path.name
            fields = {"people", "meetings", "commitments", "statements", "quotes"}
            assert set(data["scored"]) <= fields
            for st in data["statements"]:
                assert st["kind"] in ("joint_statement", "communique", "readout"), path.name
                assert st["people"] or st["parties"], path.name
            for c in data["commitments"]:
                assert c["amount"] > 0 and len(c["currency"]) == 3, path.name
    for folder in (HELDOUT40, HELDOUT2):
        styles = {json.loads(p.read_text(encoding="utf-8"))["style"] for p in folder.glob("*.json")}
        assert {"wire", "broadsheet", "broadcaster", "agency", "government readout"} <= styles


def test_intake_eval_on_the_issue_17_sets(intake_app) -> None:
    for folder, floors in (
        (HELDOUT40, HELDOUT40_FLOORS),
        (DEV, DEV_FLOORS),
        (HELDOUT2, HELDOUT2_FLOORS),
    ):
        result = runner.invoke(intake_app, ["intake-eval", str(folder), "--format", "json"])
        assert result.exit_code == 0, result.output
        report = json.loads(result.stdout)
        for field, floor in floors.items():
            assert report["fields"][field]["f1"] >= floor, (folder.name, field)
        assert report["quote_speaker_accuracy"] >= 0.85, folder.name


def test_statements_need_every_signatory_and_places_compare_by_city() -> None:
    gold = {
        "scored": ["meetings", "statements"],
        "people": [],
        "meetings": [{"date": "2025-12-02", "place": "Kremlin"}],
        "commitments": [],
        "quotes": [],
        "statements": [
            {"people": ["A B"], "parties": ["X", "Y"], "date": "2025-12-02", "place": "Miami"}
        ],
    }
    pred = {
        "people": [{"name": "Z", "title": None}],  # not scored for this report
        "meetings": [{"date": "2025-12-02", "place": "Moscow"}],
        "commitments": [],
        "quotes": [],
        "statements": [{"people": ["A B"], "parties": ["X"], "date": "2025-12-02"}],
    }
    report = EvalReport()
    score_report(gold, pred, report)
    assert report.scores["meetings"].f1 == 1  # the Kremlin is in Moscow
    assert report.scores["statements"].f1 == 0  # a signatory is missing
    assert report.scores["people_with_titles"].fp == 0
