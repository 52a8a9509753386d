"""Sources: text, HTML, URLs (never the real network), feeds with memory, folders, deduplication."""

from datetime import date
from pathlib import Path

import httpx
import pytest

from parley.intake.sources import (
    Deduplicator,
    FeedState,
    SourceError,
    deduplicate,
    fetch_url,
    from_html,
    from_text,
    load_sources,
    read_feed,
    read_path,
)

GOLD = Path(__file__).parent / "gold"

ARTICLE_HTML = """<!doctype html><html><head>
<title>Envoys meet in Miami | Illustrative News</title>
<meta property="og:title" content="Envoys meet in Miami">
<meta property="og:site_name" content="Illustrative News">
<meta property="article:published_time" content="2025-12-23T08:00:00Z">
</head><body><nav>Home | World | Subscribe</nav>
<article><h1>Envoys meet in Miami</h1>
<p>US Special Envoy Steve Witkoff met Rustem Umerov in Miami on Sunday for talks on the plan.</p>
<p>Over the next two years the European Union will provide $100 billion to Kyiv.</p>
<p>“We made progress,” Umerov told reporters after the meeting in the city.</p>
</article><footer>Cookie settings and newsletter sign-up</footer></body></html>"""

RSS = """<?xml version="1.0"?><rss version="2.0"><channel><title>Illustrative Feed</title>
<item><guid>a-1</guid><title>Talks in Geneva</title><link>https://news.invalid/a-1</link>
<pubDate>Mon, 24 Nov 2025 09:00:00 GMT</pubDate>
<description>&lt;p&gt;American and Ukrainian officials met in Geneva on Sunday.&lt;/p&gt;
</description></item>
<item><guid>a-2</guid><title>Pledge in Rome</title><link>https://news.invalid/a-2</link>
<pubDate>Fri, 11 Jul 2025 09:00:00 GMT</pubDate>
<description>Japan pledged $500 million for energy repairs this year.</description></item>
</channel></rss>"""

ATOM = """<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">
<title>Illustrative Atom</title><id>urn:x</id><updated>2025-12-15T00:00:00Z</updated>
<entry><id>urn:x:1</id><title>Berlin talks</title><updated>2025-12-15T10:00:00Z</updated>
<content type="html">&lt;p&gt;Witkoff met Zelenskyy in Berlin on Sunday.&lt;/p&gt;</content>
</entry></feed>"""


def test_plain_text_takes_its_title_and_date_from_the_top() -> None:
    source = from_text(
        (GOLD / "01_miami_round.txt").read_text(encoding="utf-8"), origin="miami.txt"
    )
    assert source.info.title == "Miami round ends with joint statement and a push on sequencing"
    assert source.info.published == date(2025, 12, 23)
    assert source.info.sha256 and len(source.info.sha256) == 64


def test_html_gives_main_text_and_metadata_without_boilerplate() -> None:
    source = from_html(ARTICLE_HTML, origin="page.html", url="https://news.invalid/miami")
    assert source.info.title == "Envoys meet in Miami"
    assert source.info.published == date(2025, 12, 23)
    assert source.info.outlet == "Illustrative News"
    assert "Steve Witkoff met Rustem Umerov" in source.text
    assert "Cookie settings" not in source.text and "Subscribe" not in source.text


def test_an_html_page_without_an_article_is_a_clear_error() -> None:
    with pytest.raises(SourceError, match="no article text"):
        from_html("<html><body></body></html>", origin="empty.html")


def _client(handler) -> httpx.Client:
    return httpx.Client(transport=httpx.MockTransport(handler))


def test_a_url_is_fetched_and_read_as_html() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200, text=ARTICLE_HTML, headers={"content-type": "text/html; charset=utf-8"}
        )

    (source,) = fetch_url("https://news.invalid/miami", client=_client(handler))
    assert source.info.url == "https://news.invalid/miami"
    assert "Miami" in source.text


def test_a_slow_server_a_missing_page_and_an_oversized_page_are_clear_errors() -> None:
    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    with pytest.raises(SourceError, match=r"https://slow.invalid/: no answer within 2 seconds"):
        fetch_url("https://slow.invalid/", timeout=2, client=_client(slow))

    with pytest.raises(SourceError, match="HTTP 404"):
        fetch_url("https://news.invalid/gone", client=_client(lambda r: httpx.Response(404)))

    declared = _client(
        lambda r: httpx.Response(200, content=b"x" * 10, headers={"content-length": "999999"})
    )
    with pytest.raises(SourceError, match="over the 1000-byte limit"):
        fetch_url("https://big.invalid/", max_bytes=1000, client=declared)

    def streamed(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200, stream=httpx.ByteStream(b"y" * 5000)
        )  # no content-length to trust

    with pytest.raises(SourceError, match="more than 1000 bytes"):
        fetch_url("https://big.invalid/stream", max_bytes=1000, client=_client(streamed))


def test_a_feed_gives_only_new_items_on_a_rerun(tmp_path: Path) -> None:
    state_file = tmp_path / "seen.json"
    feed = tmp_path / "news.rss"
    feed.write_text(RSS, encoding="utf-8")

    first = load_sources([str(feed)], feed_state=state_file)
    assert [s.info.title for s in first] == ["Talks in Geneva", "Pledge in Rome"]
    assert first[0].info.published == date(2025, 11, 24)
    assert first[0].info.url == "https://news.invalid/a-1"
    assert first[0].text.startswith("Talks in Geneva\n\nAmerican and Ukrainian officials met")

    assert load_sources([str(feed)], feed_state=state_file) == []

    feed.write_text(RSS.replace("<guid>a-2</guid>", "<guid>a-3</guid>"), encoding="utf-8")
    (new,) = load_sources([str(feed)], feed_state=state_file)
    assert new.info.title == "Pledge in Rome"


def test_atom_feeds_are_read_too() -> None:
    state = FeedState()
    (entry,) = read_feed(ATOM, origin="atom", state=state)
    assert entry.info.title == "Berlin talks" and entry.info.published == date(2025, 12, 15)
    assert "Witkoff met Zelenskyy in Berlin" in entry.text
    assert state.seen == {"urn:x:1"}


def test_a_folder_is_read_in_order_and_missing_paths_are_named(tmp_path: Path) -> None:
    (tmp_path / "b.txt").write_text("Second report\n\nText.\n", encoding="utf-8")
    (tmp_path / "a.html").write_text(ARTICLE_HTML, encoding="utf-8")
    (tmp_path / "notes.bin").write_bytes(b"\x00\x01")
    sources = read_path(tmp_path)
    assert [s.kind for s in sources] == ["html", "text"]
    with pytest.raises(SourceError, match="nowhere.txt: no such file"):
        read_path(tmp_path / "nowhere.txt")


def test_exact_and_near_duplicates_are_stored_once() -> None:
    text = (GOLD / "01_miami_round.txt").read_text(encoding="utf-8")
    original = from_text(text, origin="site-a")
    copy = from_text(text + "\n", origin="site-b")  # same content, different bytes
    edited = from_text(
        text.replace("Miami round ends", "Miami talks end") + "\nAll rights reserved.\n",
        origin="site-c",
    )
    other = from_text((GOLD / "06_wire_eu_loan.txt").read_text(encoding="utf-8"), origin="site-d")
    kept, dropped = deduplicate([original, copy, edited, other])
    assert [s.origin for s in kept] == ["site-a", "site-d"]
    assert [(d.origin, o) for d, o in dropped] == [("site-b", "site-a"), ("site-c", "site-a")]


def test_near_duplicate_detection_agrees_with_exact_jaccard() -> None:
    dedup = Deduplicator(threshold=0.8)
    texts = [p.read_text(encoding="utf-8") for p in sorted(GOLD.glob("*.txt"))]
    # All gold reports are different stories: none may be taken for another.
    for i, text in enumerate(texts):
        assert dedup.check(from_text(text, origin=str(i))) is None
