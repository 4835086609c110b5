"""The only URL fetcher the letters use: it serves a fixed set of assets and nothing else."""
from __future__ import annotations

from pathlib import Path

from weasyprint.urls import URLFetcher, URLFetcherResponse

SCHEME = "tracker-asset"


class FetchRefused(ValueError):
    """A URL outside the letter's own assets was asked for."""


class LetterFetcher(URLFetcher):
    """Serve registered assets (fonts, the seal, letter CSS) by exact URL; refuse the rest.

    No http(s), no ``file://``, no ``data:``, no redirects: nothing reaches urllib. Refused
    URLs are remembered in ``refused`` so a render can report them.
    """

    def __init__(self):
        super().__init__(allowed_protocols=(SCHEME,), allow_redirects=False,
                         fail_on_errors=False)
        self._assets: dict[str, tuple[bytes | Path, str]] = {}
        self.refused: list[str] = []

    def add(self, name: str, content: bytes | Path, mime: str) -> str:
        """Register an asset and return the URL the template or CSS uses for it."""
        url = f"{SCHEME}:{name}"
        self._assets[url] = (content, mime)
        return url

    def fetch(self, url, headers=None):
        asset = self._assets.get(url)
        if asset is None:
            self.refused.append(url)
            raise FetchRefused(f"refused to fetch {url[:200]!r}: not a letter asset")
        content, mime = asset
        body = content.read_bytes() if isinstance(content, Path) else content
        return URLFetcherResponse(url, body, {"Content-Type": mime})

    # urllib's entry points lead to fetch() too; keep them from ever opening anything else.
    def open(self, url, data=None, timeout=None):
        return self.fetch(getattr(url, "full_url", url))

    def __call__(self, url):
        return self.fetch(url)
