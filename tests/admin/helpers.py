"""Reading what the admin pages show."""
from __future__ import annotations

import re


def field_errors(html: str, name: str) -> list[str]:
    """The error messages shown under the form field with this name."""
    match = re.search(r'<(?:input|select|textarea)[^>]*\bname="' + re.escape(name) + r'"', html)
    assert match, f"no field {name} on the page"
    # The errors follow the field, before the next form group starts.
    rest = html[match.end():]
    end = re.search(r'<div class="mb-3|<fieldset|</form>', rest)
    block = rest[: end.start()] if end else rest
    return re.findall(r'<div class="invalid-feedback d-block">([^<]*)</div>', block)


def fieldset_errors(html: str, name: str) -> list[str]:
    """The error messages of a group of check boxes with this name."""
    start = html.index(f'name="{name}"')
    rest = html[start:]
    end = rest.index("</fieldset>")
    return re.findall(r'<div class="invalid-feedback d-block">([^<]*)</div>', rest[:end])
