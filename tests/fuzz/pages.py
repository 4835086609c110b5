"""The forms of a page as a browser sees them: fields, their values and their choices."""
from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit


@dataclass
class FormField:
    name: str
    kind: str  # text, hidden, password, checkbox, radio, select, select-multiple, file, textarea
    values: list[str] = field(default_factory=list)  # what the page would submit
    choices: list[str] = field(default_factory=list)  # options, radio and check box values


@dataclass
class PageForm:
    action: str
    enctype: str
    fields: dict[str, FormField] = field(default_factory=dict)

    @property
    def multipart(self) -> bool:
        return self.enctype == "multipart/form-data"

    @property
    def csrf_field(self) -> str | None:
        """The CSRF token's field (prefixed forms call it e.g. section-csrf_token)."""
        return next((name for name in self.fields if name.endswith("csrf_token")), None)


class _FormParser(HTMLParser):
    def __init__(self, page_url: str, method: str):
        super().__init__(convert_charrefs=True)
        self.page_url = page_url
        self.method = method
        self.forms: list[PageForm] = []
        self.current: PageForm | None = None
        self.select: FormField | None = None
        self.textarea: FormField | None = None
        # Buttons that submit the form elsewhere (formaction): the same fields, another action.
        self.formactions: list[str] = []

    def _field(self, name: str, kind: str) -> FormField:
        return self.current.fields.setdefault(name, FormField(name, kind))

    def handle_starttag(self, tag, attrs):
        a = {k: (v if v is not None else "") for k, v in attrs}
        if tag == "form":
            if a.get("method", "get").lower() == self.method:
                action = urlsplit(urljoin(self.page_url, a.get("action", ""))).path
                self.current = PageForm(action, a.get("enctype", ""))
                self.forms.append(self.current)
            return
        if self.current is not None and tag in ("button", "input") and a.get("formaction") \
                and not a.get("name"):
            self.formactions.append(urlsplit(urljoin(self.page_url, a["formaction"])).path)
        if self.current is None or not a.get("name"):
            if tag == "option" and self.select is not None:
                self._option(a)
            return
        name = a["name"]
        if tag in ("button", "input") and a.get("formaction"):
            self.formactions.append(urlsplit(urljoin(self.page_url, a["formaction"])).path)
        if tag == "input":
            kind = a.get("type", "text").lower()
            if kind in ("submit", "button", "reset", "image"):
                return
            f = self._field(name, kind)
            value = a.get("value", "on" if kind in ("checkbox", "radio") else "")
            if kind in ("checkbox", "radio"):
                f.choices.append(value)
                if "checked" in a:
                    f.values.append(value)
            elif kind != "file":
                f.values.append(value)
        elif tag == "select":
            self.select = self._field(name, "select-multiple" if "multiple" in a else "select")
            self.select.values.clear()
        elif tag == "textarea":
            self.textarea = self._field(name, "textarea")
            self.textarea.values = [""]
        elif tag == "button" and a.get("value"):
            f = self._field(name, "button")
            f.values = [a["value"]]

    def _option(self, a):
        value = a.get("value", "")
        self.select.choices.append(value)
        if "selected" in a:
            self.select.values.append(value)

    def handle_data(self, data):
        if self.textarea is not None:
            self.textarea.values[0] += data

    def handle_endtag(self, tag):
        if tag == "form":
            if self.current is not None:
                for action in dict.fromkeys(self.formactions):
                    self.forms.append(PageForm(action, self.current.enctype,
                                               dict(self.current.fields)))
            self.current, self.formactions = None, []
        elif tag == "select" and self.select is not None:
            if not self.select.values and self.select.kind == "select" and self.select.choices:
                self.select.values = [self.select.choices[0]]  # what a browser submits
            self.select = None
        elif tag == "textarea" and self.textarea is not None:
            # A browser drops the one newline that follows <textarea>.
            self.textarea.values[0] = self.textarea.values[0].removeprefix("\n")
            self.textarea = None


def forms_on(html: str, page_url: str, method: str = "post") -> list[PageForm]:
    """The page's forms of that method, each with its action as a path."""
    parser = _FormParser(page_url, method)
    parser.feed(html)
    return parser.forms
