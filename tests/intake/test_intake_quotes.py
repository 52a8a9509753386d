"""Quotation marks of every kind, unbalanced ones, and who said what."""

from datetime import date

from parley.intake.extract import extract
from parley.intake.quotes_scan import scan_quotes

PUB = date(2025, 12, 23)


def quoted(text: str) -> list[str]:
    return [text[q.start : q.end] for q in scan_quotes(text)]


def test_every_kind_of_quotation_mark() -> None:
    assert quoted("“Curly,” he said.") == ["Curly,"]
    assert quoted('"Straight," he said.') == ["Straight,"]
    assert quoted("„German,“ he said.") == ["German,"]
    assert quoted("«French,» he said.") == ["French,"]
    assert quoted("‘British single,’ he said.") == ["British single,"]


def test_apostrophes_are_not_quotation_marks() -> None:
    assert quoted("Russia’s demand and the allies' plan don't change.") == []
    assert quoted("‘Russia’s demand is old,’ she said.") == ["Russia’s demand is old,"]
    assert quoted('"He\'ll have to like it," Trump said.') == ["He'll have to like it,"]


def test_unbalanced_marks_close_at_the_paragraph_end() -> None:
    text = 'He said: "We will not move.\n\n"Not an inch."\n\nA closing mark alone," she said.'
    spans = scan_quotes(text)
    assert [text[q.start : q.end] for q in spans] == [
        "We will not move.",
        "Not an inch.",
        "A closing mark alone,",
    ]
    assert spans[0].unclosed and spans[2].unopened


def test_a_split_quote_is_one_quotation_with_its_speaker() -> None:
    text = "“We are not there yet,” Zelenskyy told reporters, “but the gap is smaller.”\n"
    (q,) = extract(text, published=PUB).quotes
    assert q.speakers == ["Volodymyr Zelenskyy"]
    assert q.text == "We are not there yet, but the gap is smaller."
    assert q.verb == "told"
    assert text[q.evidence[0] : q.evidence[1]] == text.strip()


def test_according_to_with_and_without_quotation_marks() -> None:
    text = (
        'The talks reached "a difficult stage", according to Yuri Ushakov.\n\n'
        "Russia will not accept foreign troops, according to Kremlin spokesman Dmitry Peskov.\n\n"
        "The envoys spoke on Monday, according to a person briefed on the call.\n"
    )
    quotes = extract(text, published=PUB).quotes
    assert [(q.speaker, q.verb) for q in quotes] == [
        ("Yury Ushakov", "according to"),
        ("Dmitry Peskov", "according to"),
        (None, "according to"),
    ]
    assert quotes[1].text == "Russia will not accept foreign troops"
    assert quotes[1].kind == "reported"


def test_pronouns_and_titles_resolve_to_the_person() -> None:
    text = (
        "Sir Keir Starmer met Friedrich Merz in London on Monday.\n\n"
        "The prime minister said more was needed. ‘We stand firm,’ he said.\n\n"
        "Kirill Dmitriev arrived in Miami for talks with Steve Witkoff. "
        "He said the talks were “constructive”.\n"
    )
    quotes = extract(text, published=PUB).quotes
    assert [q.speaker for q in quotes] == ["Keir Starmer", "Kirill Dmitriev"]


def test_a_party_can_speak_but_an_adjective_cannot() -> None:
    text = (
        'The Kremlin said it would not comment on "leaks".\n\n'
        'A senior European diplomat put it bluntly: "It reads like a wish list.\n'
    )
    quotes = extract(text, published=PUB).quotes
    assert [q.speaker for q in quotes] == ["Russia", None]
    assert quotes[1].speaker_text is not None and "diplomat" in quotes[1].speaker_text


def test_a_joint_statement_keeps_every_signatory() -> None:
    text = (
        "“Progress was made,” Witkoff and Umerov wrote in a joint statement. "
        "“More work is needed.”\n"
    )
    quotes = extract(text, published=PUB).quotes
    assert [q.speakers for q in quotes] == [["Steve Witkoff", "Rustem Umerov"]] * 2
    assert {q.kind for q in quotes} == {"joint_statement"}
