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
_MAX_INDENT = 8
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
        # Bookkeeping that keeps every callback O(its own input) (issue 9: no rescans of `out`):
        self.length = 0  # characters in `out`
        self.lengths: list[int] = []  # `length` before each piece of `out`
        self.last_text = -1  # index of the last piece with something besides " " and "\n"
        self.last_visible = -1  # index of the last piece with something besides whitespace
        self.seen = False  # a piece with something besides " " was written

    def _emit(self, piece: str) -> None:
        self.lengths.append(self.length)
        self.length += len(piece)
        self.seen = self.seen or bool(piece.strip(" "))
        if piece.strip(" \n"):
            self.last_text = len(self.out)
            if piece.strip():
                self.last_visible = len(self.out)
        self.out.append(piece)

    def _drop_last(self) -> None:
        """Remove the last piece (only ever a single space, which moves no text marker)."""
        self.out.pop()
        self.length = self.lengths.pop()

    # -- output helpers -------------------------------------------------------------------
    def _tail(self) -> str:
        """The last two characters of the text so far."""
        tail = ""
        for piece in reversed(self.out):
            tail = piece[-2:] + tail
            if len(tail) >= 2:
                break
        return tail[-2:]

    def _newlines(self, count: int) -> None:
        """Make the text end with at least `count` newlines (never at the very start)."""
        if not self.seen:
            return
        tail = self._tail()
        have = len(tail) - len(tail.rstrip("\n"))
        if have < count:
            self._emit("\n" * (count - have))

    def _text(self, text: str) -> None:
        if self.pre_depth:
            self._emit(text)
            return
        collapsed = " ".join(text.replace("\xa0", "\x00").split())
        leading = text[:1].isspace() and text[:1] != "\xa0"
        trailing = text[-1:].isspace() and text[-1:] != "\xa0"
        if not collapsed:
            if leading and self.out and not self._tail().endswith((" ", "\n")):
                self._emit(" ")
            return
        tail = self._tail()
        if leading and tail and not tail.endswith((" ", "\n")):
            self._emit(" ")
        self._emit(collapsed.replace("\x00", " "))
        if trailing:
            self._emit(" ")

    # -- parser callbacks -----------------------------------------------------------------
    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            self.skip_depth += 1
            return
        if self.skip_depth:
            return
        attr = dict(attrs)
        if tag == "br":
            self._emit("\n")
        elif tag == "hr":
            self._newlines(1)
            self._emit("---")
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
            # indentation stops growing at _MAX_INDENT levels: n nested lists would
            # otherwise write n²/2 spaces
            indent = "  " * min(max(len(self.lists) - 1, 0), _MAX_INDENT)
            if self.lists and self.lists[-1][0]:
                self.lists[-1][1] += 1
                self._emit(f"{indent}{self.lists[-1][1]}. ")
            else:
                self._emit(f"{indent}- ")
        elif tag in _CELL:
            if self.cell_in_row:
                self._emit("\t")
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
                if mso and self.last_text < start:
                    # An Outlook empty line (<p class=MsoNormal>&nbsp;</p>).
                    self._emit("\n")
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
        shown = href[7:] if href.lower().startswith("mailto:") else href
        if self.last_visible < start:  # no link text
            self._text(shown)
            return
        since = self.length - (self.lengths[start] if start < len(self.out) else self.length)
        # Link text much longer than the URL cannot be the URL: not joined (nested links
        # would otherwise re-join the whole document once per link).
        text = "".join(self.out[start:]).strip() if since <= 2 * len(href) + 256 else None
        if text is None or (text != shown and text != href):
            trailing = bool(self.out) and self.out[-1] == " "
            if trailing:
                self._drop_last()
            self._emit(f" <{href}>")
            if trailing:
                self._emit(" ")

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


def _close_dangling(html: str) -> str:
    """`html` with every "<" after the last ">" written as "&lt;".

    No tag, comment or declaration can start there, and the standard library's parser would
    search the rest of the document for a ">" again at every such "<" (quadratic time for a
    body of "<a<a<a…" or "<!--<!--…"); as "&lt;" they are the same text, found in one pass.
    """
    last = html.rfind(">")
    tail = html[last + 1 :]
    return html if "<" not in tail else html[: last + 1] + tail.replace("<", "&lt;")


def html_to_text(html: str) -> str:
    """Readable plain text for an HTML fragment or document (deterministic, never raises)."""
    renderer = _Renderer()
    renderer.feed(_close_dangling(html))
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
