"""Other official pages printed like the letters (the 征询意见表, the 督办函): an HTML page from
a template, set in the letters' faces — body text in 仿宋, the title in 小标宋, labels in 黑体,
with a fallback face for any character a face lacks — and rendered to PDF by WeasyPrint under
the letters' lock, fetching nothing outside the page."""
from __future__ import annotations

import html
import re

from tracker.letters import fonts as letter_fonts
from tracker.letters.fetcher import LetterFetcher
from tracker.letters.render import _fonts_css
from tracker.letters.render import _lock as letters_lock

_TAGS = re.compile(r"<[^>]+>")


def render_page(page: str, title: str, name: str) -> bytes:
    """The page (HTML) as PDF bytes; name: the page's name for relative references."""
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration

    text = html.unescape(_TAGS.sub("", page.split("<body", 1)[-1]))
    with letters_lock:
        chosen, _warnings = letter_fonts.choose({
            "body": text, "title": title, "heading1": text, "heading2": "", "digits": ""})
        fetcher = LetterFetcher()
        font_config = FontConfiguration()
        fonts = CSS(string=_fonts_css(chosen, fetcher), url_fetcher=fetcher,
                    font_config=font_config, base_url="tracker-asset:fonts.css")
        document = HTML(string=page, url_fetcher=fetcher, base_url=f"tracker-asset:{name}")
        return document.write_pdf(stylesheets=[fonts], font_config=font_config)
