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
    return render_pages([page], title, name)


def render_pages(pages: list[str], title: str, name: str) -> bytes:
    """Several pages (HTML documents) one after the other in one PDF."""
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration

    text = "".join(html.unescape(_TAGS.sub("", page.split("<body", 1)[-1])) for page in pages)
    with letters_lock:
        chosen, _warnings = letter_fonts.choose({
            "body": text, "title": title, "heading1": text, "heading2": "", "digits": ""})
        fetcher = LetterFetcher()
        font_config = FontConfiguration()
        fonts = CSS(string=_fonts_css(chosen, fetcher), url_fetcher=fetcher,
                    font_config=font_config, base_url="tracker-asset:fonts.css")
        documents = [
            HTML(string=page, url_fetcher=fetcher, base_url=f"tracker-asset:{name}").render(
                stylesheets=[fonts], font_config=font_config)
            for page in pages]
        if len(documents) == 1:
            return documents[0].write_pdf()
        every_page = [p for document in documents for p in document.pages]
        return documents[0].copy(every_page).write_pdf()
