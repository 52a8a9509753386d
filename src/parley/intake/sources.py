"""Where reports come from: text and HTML files, URLs, RSS/Atom feeds and folders.

Every loader returns `Source` objects holding the text that is stored and analysed (evidence
offsets point into exactly this text) and its metadata. `Deduplicator` keeps one copy of each
report: by content hash, and by near-duplicate text (MinHash over word shingles, confirmed by
the exact shingle overlap) so that the same wire story on two sites is stored once.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import re
import socket
import time
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import httpx
import numpy as np

from parley.intake import dates as dt
from parley.intake.records import SourceInfo

TEXT_SUFFIXES = {".txt", ".text", ".md"}
HTML_SUFFIXES = {".html", ".htm", ".xhtml"}
FEED_SUFFIXES = {".rss", ".atom", ".xml"}
DEFAULT_TIMEOUT = 10.0
DEFAULT_MAX_BYTES = 5_000_000


class SourceError(Exception):
    """A source could not be read; the message names the source and the problem."""


@dataclass
class Source:
    text: str
    info: SourceInfo
    kind: str  # text | html | feed
    origin: str  # the path or URL it was read from


# -- helpers -------------------------------------------------------------------------------


def normalise_text(text: str) -> str:
    """Canonical form for hashing: NFC, unified line ends, no trailing spaces."""
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    return "\n".join(line.rstrip() for line in text.split("\n")).strip() + "\n"


def content_hash(text: str) -> str:
    return hashlib.sha256(" ".join(normalise_text(text).split()).encode()).hexdigest()


_HEADER_RE = re.compile(r"^\s*(?:Published|Updated|Posted|Date)\b[:\s]*(?P<rest>.+)$", re.I | re.M)


def guess_published(text: str) -> date | None:
    """A publication date from a "Published ..." line or a dated dateline near the top."""
    head = "\n".join(text.split("\n")[:6])
    candidates = [m.group("rest") for m in _HEADER_RE.finditer(head)] + [head]
    for chunk in candidates:
        for mention in dt.find_dates(chunk):
            if mention.explicit and mention.year:
                when = dt.resolve(mention, None)
                if when:
                    return when
    return None


def _title_of(text: str) -> str | None:
    first = next((line.strip() for line in text.split("\n") if line.strip()), "")
    return first if 0 < len(first) <= 200 else None


def _parse_date(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    if isinstance(value, str) and value:
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00")).date()
        except ValueError:
            mentions = [m for m in dt.find_dates(value) if m.explicit and m.year]
            return dt.resolve(mentions[0], None) if mentions else None
    return None


# -- loaders -------------------------------------------------------------------------------


def from_text(
    text: str, *, origin: str = "<text>", published: date | None = None, url: str | None = None
) -> Source:
    text = normalise_text(text)
    info = SourceInfo(
        title=_title_of(text),
        published=published or guess_published(text),
        url=url,
        sha256=content_hash(text),
    )
    return Source(text, info, "text", origin)


def from_html(
    html: str, *, origin: str = "<html>", url: str | None = None, published: date | None = None
) -> Source:
    """Main text and metadata (title, site, date) extracted with trafilatura."""
    import trafilatura

    doc = trafilatura.bare_extraction(html, url=url, with_metadata=True, include_comments=False)
    if doc is None:
        raise SourceError(f"{origin}: no article text found in the HTML")
    data = doc.as_dict() if hasattr(doc, "as_dict") else dict(doc)
    body = (data.get("text") or "").strip()
    if not body:
        raise SourceError(f"{origin}: no article text found in the HTML")
    title = (data.get("title") or "").strip() or None
    # The headline is part of the stored text: it is reported content too.
    text = normalise_text(f"{title}\n\n{body}" if title and not body.startswith(title) else body)
    info = SourceInfo(
        title=title or _title_of(text),
        published=published or _parse_date(data.get("date")) or guess_published(text),
        url=url or data.get("url"),
        outlet=data.get("sitename") or data.get("hostname"),
        sha256=content_hash(text),
    )
    return Source(text, info, "html", origin)


@dataclass
class FeedState:
    """The ids of feed items already read, kept in a JSON file between runs."""

    path: Path | None = None
    seen: set[str] = field(default_factory=set)

    @classmethod
    def load(cls, path: Path | None) -> FeedState:
        if path is None or not path.exists():
            return cls(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise SourceError(f"{path}: feed state file is not readable JSON ({exc})") from exc
        return cls(path, set(data.get("seen", [])))

    def save(self) -> None:
        if self.path is not None:
            self.path.write_text(
                json.dumps({"seen": sorted(self.seen)}, indent=1), encoding="utf-8"
            )


def _html_to_text(fragment: str) -> str:
    if "<" not in fragment:
        return fragment
    import lxml.html

    try:
        root = lxml.html.fromstring(fragment)
    except Exception:  # noqa: BLE001 - a malformed fragment is read as plain text
        return fragment
    paragraphs = [p.text_content().strip() for p in root.iter("p")]
    text = "\n\n".join(p for p in paragraphs if p) or root.text_content()
    return text.strip()


def read_feed(
    data: str | bytes,
    *,
    origin: str = "<feed>",
    state: FeedState | None = None,
    published: date | None = None,
) -> list[Source]:
    """The items of an RSS or Atom feed not seen before (their ids are added to `state`)."""
    import feedparser

    parsed = feedparser.parse(data)
    if parsed.bozo and not parsed.entries:
        raise SourceError(
            f"{origin}: not a readable RSS/Atom feed ({parsed.get('bozo_exception')})"
        )
    outlet = parsed.feed.get("title")
    out = []
    for entry in parsed.entries:
        item_id = (
            entry.get("id")
            or entry.get("link")
            or content_hash(entry.get("title", "") + entry.get("summary", ""))
        )
        if state is not None and item_id in state.seen:
            continue
        body = ""
        if entry.get("content"):
            body = entry["content"][0].get("value", "")
        body = _html_to_text(body or entry.get("summary", ""))
        title = (entry.get("title") or "").strip()
        text = normalise_text(f"{title}\n\n{body}" if title else body)
        when = published
        if when is None:
            stamp = entry.get("published_parsed") or entry.get("updated_parsed")
            when = (
                date(stamp.tm_year, stamp.tm_mon, stamp.tm_mday) if stamp else guess_published(text)
            )
        info = SourceInfo(
            title=title or None,
            published=when,
            url=entry.get("link"),
            outlet=outlet,
            sha256=content_hash(text),
        )
        out.append(Source(text, info, "feed", origin))
        if state is not None:
            state.seen.add(item_id)
    return out


def _looks_like_feed(head: str) -> bool:
    head = head.lstrip()[:500].lower()
    return "<rss" in head or "<feed" in head or "<rdf:rdf" in head


def _looks_like_html(head: str) -> bool:
    head = head.lstrip()[:500].lower()
    return head.startswith("<!doctype html") or "<html" in head or "<body" in head


def fetch_url(
    url: str,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    max_bytes: int = DEFAULT_MAX_BYTES,
    client: httpx.Client | None = None,
    state: FeedState | None = None,
    published: date | None = None,
) -> list[Source]:
    """Fetch a page or a feed. Refuses answers larger than `max_bytes` without reading them all."""
    # The operator's own fetch (the CLI): redirects followed, but not without end.
    http = client or httpx.Client(follow_redirects=True, max_redirects=MAX_REDIRECTS)
    with (
        _fetching(url, timeout, http, own=client is None),
        http.stream("GET", url, timeout=timeout) as response,
    ):
        # No deadline over the whole read here: httpx's timeout bounds each wait.
        body, content_type, encoding = _read_limited(
            response, url, max_bytes, float("inf"), timeout
        )
    return _parse_fetched(body, content_type, encoding, url, published, state)


@contextmanager
def _fetching(url: str, timeout: float, http: httpx.Client, *, own: bool) -> Iterator[None]:
    """httpx's failures as SourceError naming the URL; the client closed if it is ours."""
    try:
        yield
    except httpx.TimeoutException as exc:
        raise SourceError(f"{url}: no answer within {timeout:g} seconds") from exc
    except httpx.HTTPError as exc:
        raise SourceError(f"{url}: could not fetch ({exc.__class__.__name__}: {exc})") from exc
    finally:
        if own:
            http.close()


# -- fetching for a user: only public addresses, pinned, every hop checked ------------------

MAX_REDIRECTS = 5
# Forms that embed an IPv4 address in IPv6: the embedded address is what is reached.
NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))
SIX_TO_FOUR = ipaddress.ip_network("2002::/16")
Resolver = Callable[[str], list[str]]


def system_resolver(host: str) -> list[str]:
    return [str(info[4][0]) for info in socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)]


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if any(ip in net for net in NAT64):
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if ip in SIX_TO_FOUR:
        return ipaddress.IPv4Address((int(ip) >> 80) & 0xFFFFFFFF)
    if ip.teredo is not None:
        return ip.teredo[1]
    return None


def is_public_address(address: str) -> bool:
    """Whether a server may fetch from ``address`` for a user: globally routable, unicast, and
    not an IPv6 form (mapped, NAT64, 6to4, Teredo) of a private or loopback IPv4 address."""
    try:
        ip = ipaddress.ip_address(address.split("%")[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(ip)
        if embedded is not None:
            return is_public_address(str(embedded))
    return ip.is_global and not ip.is_multicast and not ip.is_reserved


def public_address(url: str, resolver: Resolver | None = None) -> tuple[httpx.URL, str]:
    """Check ``url`` and resolve its host once; return the URL and the one address to use.

    Every address the host resolves to must be public (a name that also points inward is
    refused), and the fetch then connects to the first of them: a second, different answer
    from the resolver (DNS rebinding) is never asked for.
    """
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, ValueError):
        raise SourceError(f"{url}: not a valid address") from None
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise SourceError(f"{url}: give an http:// or https:// address")
    host = parsed.host
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if literal is not None:
        addresses = [str(literal)]
    else:
        try:
            addresses = (resolver or system_resolver)(host)
        except OSError:
            raise SourceError(f"{url}: cannot resolve the host {host!r}") from None
    if not addresses:
        raise SourceError(f"{url}: cannot resolve the host {host!r}")
    for address in addresses:
        if not is_public_address(address):
            raise SourceError(f"{url}: {host!r} is a local or private address")
    return parsed, addresses[0].split("%")[0]


def _pinned_request(client: httpx.Client, url: httpx.URL, address: str) -> httpx.Request:
    """A GET of ``url`` sent to ``address``: Host header and TLS name stay the URL's host."""
    ip = ipaddress.ip_address(address)
    target = url.copy_with(host=f"[{ip}]" if ip.version == 6 else str(ip))
    host_header = url.host if url.port is None else f"{url.host}:{url.port}"
    extensions = {"sni_hostname": url.host} if url.scheme == "https" else {}
    return client.build_request("GET", target, headers={"Host": host_header}, extensions=extensions)


def fetch_public_url(
    url: str,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    max_bytes: int = DEFAULT_MAX_BYTES,
    client: httpx.Client | None = None,
    resolver: Resolver | None = None,
    max_redirects: int = MAX_REDIRECTS,
    published: date | None = None,
) -> list[Source]:
    """Fetch a page or feed for a user, as :func:`fetch_url` does, but only from public hosts.

    Each hop (the URL and every redirect, at most ``max_redirects``) is checked with
    :func:`public_address`, resolved once and connected to at the checked address. ``timeout``
    bounds the whole fetch, all hops together; ``max_bytes`` bounds every body read.
    """
    http = client or httpx.Client(follow_redirects=False, trust_env=False)
    deadline = time.monotonic() + timeout
    current = url
    with _fetching(url, timeout, http, own=client is None):
        for _hop in range(max_redirects + 1):
            parsed, address = public_address(current, resolver)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise SourceError(f"{url}: no answer within {timeout:g} seconds")
            request = _pinned_request(http, parsed, address)
            request.extensions["timeout"] = httpx.Timeout(remaining).as_dict()
            response = http.send(request, stream=True, follow_redirects=False)
            try:
                if response.is_redirect:
                    location = response.headers.get("location", "")
                    current = str(parsed.join(location))
                    continue
                body, content_type, encoding = _read_limited(
                    response, str(parsed), max_bytes, deadline, timeout
                )
            finally:
                response.close()
            return _parse_fetched(body, content_type, encoding, str(parsed), published)
        raise SourceError(f"{url}: more than {max_redirects} redirects")


def _read_limited(
    response: httpx.Response, url: str, max_bytes: int, deadline: float, timeout: float
) -> tuple[bytes, str, str]:
    if response.status_code >= 400:
        raise SourceError(f"{url}: the server answered HTTP {response.status_code}")
    declared = response.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > max_bytes:
        raise SourceError(f"{url}: {declared} bytes is over the {max_bytes}-byte limit")
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > max_bytes:
            raise SourceError(f"{url}: more than {max_bytes} bytes, over the limit")
        if time.monotonic() > deadline:
            raise SourceError(f"{url}: no answer within {timeout:g} seconds")
        chunks.append(chunk)
    return (
        b"".join(chunks),
        response.headers.get("content-type", "").lower(),
        response.encoding or "utf-8",
    )


def _parse_fetched(
    body: bytes,
    content_type: str,
    encoding: str,
    url: str,
    published: date | None,
    state: FeedState | None = None,
) -> list[Source]:
    """A fetched body as sources: a feed, a page or plain text (by type, then by content)."""
    try:
        text = body.decode(encoding, errors="replace")
    except LookupError:
        text = body.decode("utf-8", errors="replace")
    if "rss" in content_type or "atom" in content_type or _looks_like_feed(text):
        return read_feed(body, origin=url, state=state, published=published)
    if "html" in content_type or _looks_like_html(text):
        return [from_html(text, origin=url, url=url, published=published)]
    return [from_text(text, origin=url, url=url, published=published)]


def read_path(
    path: Path, *, state: FeedState | None = None, published: date | None = None
) -> list[Source]:
    """A file (text, HTML or feed, told apart by suffix and content) or a folder of them."""
    if path.is_dir():
        out: list[Source] = []
        for child in sorted(
            p for p in path.rglob("*") if p.is_file() and not p.name.startswith(".")
        ):
            if child.suffix.lower() in TEXT_SUFFIXES | HTML_SUFFIXES | FEED_SUFFIXES:
                out.extend(read_path(child, state=state, published=published))
        return out
    if not path.exists():
        raise SourceError(f"{path}: no such file or folder")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise SourceError(f"{path}: cannot read ({exc.strerror})") from exc
    text = raw.decode("utf-8", errors="replace")
    suffix = path.suffix.lower()
    if suffix in FEED_SUFFIXES or _looks_like_feed(text):
        return read_feed(raw, origin=str(path), state=state, published=published)
    if suffix in HTML_SUFFIXES or _looks_like_html(text):
        return [from_html(text, origin=str(path), published=published)]
    return [from_text(text, origin=str(path), published=published)]


def load_sources(
    targets: Iterable[str],
    *,
    published: date | None = None,
    feed_state: Path | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    max_bytes: int = DEFAULT_MAX_BYTES,
    client: httpx.Client | None = None,
) -> list[Source]:
    """Read every target (path, folder or http(s) URL). `published` overrides every date."""
    state = FeedState.load(feed_state) if feed_state else None
    out: list[Source] = []
    for target in targets:
        if target.startswith(("http://", "https://")):
            out.extend(
                fetch_url(
                    target,
                    timeout=timeout,
                    max_bytes=max_bytes,
                    client=client,
                    state=state,
                    published=published,
                )
            )
        else:
            out.extend(read_path(Path(target), state=state, published=published))
    if state is not None:
        state.save()
    return out


# -- deduplication -------------------------------------------------------------------------

_MERSENNE = (1 << 61) - 1


class Deduplicator:
    """Remembers the reports kept so far and says whether a new one repeats one of them.

    Exact copies match by content hash. Near copies (the same story with a changed headline or a
    trailing line) are found with MinHash over 5-word shingles and banded locality-sensitive
    hashing, then confirmed by the exact Jaccard overlap of the shingle sets (>= `threshold`).
    """

    def __init__(
        self, threshold: float = 0.8, permutations: int = 64, bands: int = 16, seed: int = 7
    ) -> None:
        rng = np.random.default_rng(seed)
        self.threshold = threshold
        self.bands = bands
        self.rows = permutations // bands
        self._a = rng.integers(1, _MERSENNE, size=permutations, dtype=np.uint64)
        self._b = rng.integers(0, _MERSENNE, size=permutations, dtype=np.uint64)
        self._hashes: dict[str, str] = {}
        self._buckets: dict[tuple[int, bytes], list[int]] = {}
        self._kept: list[tuple[str, frozenset[int]]] = []

    @staticmethod
    def shingles(text: str, k: int = 5) -> frozenset[int]:
        words = re.findall(r"\w+", text.lower())
        if len(words) < k:
            words += [""] * (k - len(words))
        grams = (" ".join(words[i : i + k]) for i in range(len(words) - k + 1))
        return frozenset(
            int.from_bytes(hashlib.blake2b(g.encode(), digest_size=7).digest(), "big")
            for g in grams
        )

    def _signature(self, shingles: frozenset[int]) -> np.ndarray:
        x = np.fromiter(shingles, dtype=np.uint64, count=len(shingles))
        # (a*x + b) mod p with 61-bit values would overflow uint64; object ints are exact and fast
        # enough for news-sized texts. Reduce x first so the product stays within Python ints.
        a = self._a.astype(object)[:, None]
        b = self._b.astype(object)[:, None]
        values = (a * x.astype(object)[None, :] + b) % _MERSENNE
        return np.asarray(values.min(axis=1), dtype=np.uint64)

    def check(self, source: Source) -> str | None:
        """The origin of a kept report this one duplicates, or None (then it is kept)."""
        digest = source.info.sha256 or content_hash(source.text)
        if digest in self._hashes:
            return self._hashes[digest]
        sh = self.shingles(source.text)
        sig = self._signature(sh)
        candidates: set[int] = set()
        keys = []
        for band in range(self.bands):
            key = (band, sig[band * self.rows : (band + 1) * self.rows].tobytes())
            keys.append(key)
            candidates.update(self._buckets.get(key, ()))
        for index in sorted(candidates):
            origin, other = self._kept[index]
            jaccard = len(sh & other) / len(sh | other) if sh | other else 1.0
            if jaccard >= self.threshold:
                return origin
        index = len(self._kept)
        self._kept.append((source.origin, sh))
        self._hashes[digest] = source.origin
        for key in keys:
            self._buckets.setdefault(key, []).append(index)
        return None


def deduplicate(
    sources: Iterable[Source], threshold: float = 0.8
) -> tuple[list[Source], list[tuple[Source, str]]]:
    """(kept, [(duplicate, origin of the report it repeats)]) in input order."""
    dedup = Deduplicator(threshold)
    kept: list[Source] = []
    dropped: list[tuple[Source, str]] = []
    for source in sources:
        original = dedup.check(source)
        if original is None:
            kept.append(source)
        else:
            dropped.append((source, original))
    return kept, dropped
