"""HTML event bodies -> readable plain text for DESCRIPTION.

What it does: walks the HTML with the standard library's `html.parser` and renders paragraphs,
line breaks, lists ("- item", "1. item"), table rows, and links as "text <url>" (so the join-link
detector and humans both see the URL); entities are decoded; script/style/head are dropped.
What it must not do: fetch anything, keep markup, or depend on regular expressions for structure.

Outlook writes one `<p class="MsoNormal">` per *line* (empty lines are paragraphs holding only
&nbsp;), so those paragraphs end with a single line break instead of a blank line.
"""

from __future__ import annotations

from html.parser import HTMLParser

_SKIP = frozenset({"script", "style", "head", "title", "template", "noscript"})
_BLOCK = frozenset(
    {
        "div",
        "section",
        "article",
        "header",
        "footer",
        "main",
        "nav",
        "aside",
        "table",
        "tbody",
        "thead",
        "tfoot",
        "tr",
        "form",
        "center",
        "address",
        "dl",
        "dt",
        "dd",
        "figure",
        "figcaption",
        "caption",
    }
)
_PARAGRAPH = frozenset({"p", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "ul", "ol"})
_CELL = frozenset({"td", "th"})
_LINK_SCHEMES = (
    "http://",
    "https://",
    "mailto:",
    "tel:",
    "sip:",
    "zoommtg:",
    "zoomus:",
    "msteams:",
)


class _Renderer(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.skip_depth = 0
        self.pre_depth = 0
        self.lists: list[list[int]] = []  # per open list: [is_ordered, counter]
        self.links: list[tuple[str, int]] = []  # (href, index in out where link text starts)
        self.line_paragraphs: list[tuple[bool, int]] = []  # (is MsoNormal, out index at start)
        self.cell_in_row = 0

    # -- output helpers -------------------------------------------------------------------
    def _tail(self) -> str:
        tail = ""
        for piece in reversed(self.out):
            tail = piece + tail
            if len(tail) >= 2:
                break
        return tail

    def _seen_text(self) -> bool:
        return any(piece.strip(" ") for piece in self.out)

    def _newlines(self, count: int) -> None:
        """Make the text end with at least `count` newlines (never at the very start)."""
        if not any(piece.strip(" ") for piece in self.out[-64:]) and not self._seen_text():
            return
        tail = self._tail()
        have = len(tail) - len(tail.rstrip("\n"))
        if have < count:
            self.out.append("\n" * (count - have))

    def _text(self, text: str) -> None:
        if self.pre_depth:
            self.out.append(text)
            return
        collapsed = " ".join(text.replace("\xa0", "\x00").split())
        leading = text[:1].isspace() and text[:1] != "\xa0"
        trailing = text[-1:].isspace() and text[-1:] != "\xa0"
        if not collapsed:
            if leading and self.out and not self._tail().endswith((" ", "\n")):
                self.out.append(" ")
            return
        tail = self._tail()
        if leading and tail and not tail.endswith((" ", "\n")):
            self.out.append(" ")
        self.out.append(collapsed.replace("\x00", " "))
        if trailing:
            self.out.append(" ")

    # -- parser callbacks -----------------------------------------------------------------
    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            self.skip_depth += 1
            return
        if self.skip_depth:
            return
        attr = dict(attrs)
        if tag == "br":
            self.out.append("\n")
        elif tag == "hr":
            self._newlines(1)
            self.out.append("---")
            self._newlines(1)
        elif tag == "p":
            mso = "msonormal" in (attr.get("class") or "").lower()
            self._newlines(1 if mso else 2)
            self.line_paragraphs.append((mso, len(self.out)))
        elif tag in _PARAGRAPH:
            self._newlines(2 if not self.lists else 1)
            if tag == "pre":
                self.pre_depth += 1
            if tag in ("ul", "ol"):
                self.lists.append([tag == "ol", 0])
        elif tag == "li":
            self._newlines(1)
            indent = "  " * max(len(self.lists) - 1, 0)
            if self.lists and self.lists[-1][0]:
                self.lists[-1][1] += 1
                self.out.append(f"{indent}{self.lists[-1][1]}. ")
            else:
                self.out.append(f"{indent}- ")
        elif tag in _CELL:
            if self.cell_in_row:
                self.out.append("\t")
            self.cell_in_row += 1
        elif tag in _BLOCK:
            if tag == "tr":
                self.cell_in_row = 0
            self._newlines(1)
        elif tag == "a":
            self.links.append((attr.get("href") or "", len(self.out)))
        elif tag == "img":
            alt = (attr.get("alt") or "").strip()
            if alt:
                self._text(f"[{alt}]")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self.skip_depth = max(self.skip_depth - 1, 0)
            return
        if self.skip_depth:
            return
        if tag == "p":
            if self.line_paragraphs:
                mso, start = self.line_paragraphs.pop()
                if mso and not "".join(self.out[start:]).strip(" \n"):
                    # An Outlook empty line (<p class=MsoNormal>&nbsp;</p>).
                    self.out.append("\n")
                    return
                self._newlines(1 if mso else 2)
            else:
                self._newlines(2)
        elif tag in _PARAGRAPH:
            if tag == "pre":
                self.pre_depth = max(self.pre_depth - 1, 0)
            if tag in ("ul", "ol") and self.lists:
                self.lists.pop()
            self._newlines(2 if not self.lists else 1)
        elif tag == "li" or tag in _BLOCK:
            self._newlines(1)
        elif tag == "a" and self.links:
            href, start = self.links.pop()
            self._close_link(href.strip(), start)

    def _close_link(self, href: str, start: int) -> None:
        if not href.lower().startswith(_LINK_SCHEMES):
            return
        text = "".join(self.out[start:]).strip()
        shown = href[7:] if href.lower().startswith("mailto:") else href
        if not text:
            self._text(shown)
        elif text != shown and text != href:
            trailing = bool(self.out) and self.out[-1] == " "
            if trailing:
                self.out.pop()
            self.out.append(f" <{href}>")
            if trailing:
                self.out.append(" ")

    def handle_data(self, data: str) -> None:
        if not self.skip_depth:
            self._text(data)

    def result(self) -> str:
        text = "".join(self.out)
        lines = [line.rstrip(" \t") for line in text.split("\n")]
        cleaned: list[str] = []
        blank = 0
        for line in lines:
            if line.strip(" ") == "":
                blank += 1
                if blank > 1:
                    continue
                cleaned.append("")
            else:
                blank = 0
                cleaned.append(line)
        return "\n".join(cleaned).strip("\n")


def html_to_text(html: str) -> str:
    """Readable plain text for an HTML fragment or document (deterministic, never raises)."""
    renderer = _Renderer()
    renderer.feed(html)
    renderer.close()
    return renderer.result()


def body_text(body: dict[str, object] | None) -> str:
    """The plain text of a Graph `itemBody` ({"contentType": "html"|"text", "content": ...})."""
    if not body:
        return ""
    content = body.get("content")
    if not isinstance(content, str):
        return ""
    if str(body.get("contentType", "text")).lower() == "html":
        return html_to_text(content)
    return content.replace("\r\n", "\n").strip("\n")
