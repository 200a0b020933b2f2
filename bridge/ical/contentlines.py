"""Content lines of iCalendar (RFC 5545 §3.1) and vCard (RFC 6350 §3.3, RFC 2426 §2.4.2) as
text, without interpreting values: unfold, split a line into group / name / parameters /
value, fold back to 75 octets, and walk the BEGIN/END tree.

What it does: the exact-text view of a resource that the lossless overlay (`overlay.py`) needs,
where a parsing library would re-serialize and so lose the client's spelling.
What it must not do: decode values, or do I/O. Linear in the input length.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

FOLD_OCTETS = 75  # RFC 5545 §3.1 / RFC 6350 §3.2: lines SHOULD NOT be longer than 75 octets


@dataclass(frozen=True)
class Line:
    """One unfolded content line; `text` is exactly what the sender wrote (unfolded)."""

    name: str  # upper-case property name without its group
    text: str

    @property
    def value(self) -> str:
        return split_line(self.text)[3]

    @property
    def params(self) -> tuple[tuple[str, str], ...]:
        return split_line(self.text)[2]


@dataclass(frozen=True)
class Block:
    """A component (BEGIN:NAME … END:NAME) with its lines and sub-components, in order."""

    name: str  # upper-case component name
    children: tuple[Line | Block, ...]

    def lines(self) -> list[Line]:
        return [c for c in self.children if isinstance(c, Line)]

    def blocks(self) -> list[Block]:
        return [c for c in self.children if isinstance(c, Block)]

    def first(self, name: str) -> Line | None:
        return next((c for c in self.lines() if c.name == name), None)

    def text(self) -> str:
        """Unfolded text of the whole block, lines joined with LF (a stable key)."""
        out = [f"BEGIN:{self.name}"]
        for child in self.children:
            out.append(child.text if isinstance(child, Line) else child.text())
        out.append(f"END:{self.name}")
        return "\n".join(out)


def unfold(text: str) -> list[str]:
    """Logical lines: CRLF/LF followed by one space or tab continues the previous line."""
    out: list[str] = []
    for raw in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if raw[:1] in (" ", "\t") and out:
            out[-1] += raw[1:]
        elif raw.strip():
            out.append(raw)
    return out


def mentions(text: str, word: str) -> bool:
    """Whether `word` (upper case: a property or parameter name, or a value such as
    NEEDS-ACTION) occurs in the text once its lines are unfolded, case-insensitively: the cheap
    test before a parse. The raw text is no good for it, since a fold may split the word
    ("SCHEDULE-STATU\\r\\n S=1.1")."""
    upper = text.upper()
    if word in upper:
        return True
    return "\n" in upper and word in _FOLD.sub("", upper)


_FOLD = re.compile(r"\r?\n[ \t]")


def split_line(text: str) -> tuple[str, str, tuple[tuple[str, str], ...], str]:
    """(group, NAME, ((PARAM, value), …), value) of one unfolded line. Colons and semicolons
    inside quoted parameter values do not split (RFC 5545 §3.1 param-value)."""
    quoted = False
    cut = len(text)
    for index, char in enumerate(text):
        if char == '"':
            quoted = not quoted
        elif char == ":" and not quoted:
            cut = index
            break
    head, value = text[:cut], text[cut + 1 :]
    parts: list[str] = []
    quoted = False
    start = 0
    for index, char in enumerate(head):
        if char == '"':
            quoted = not quoted
        elif char == ";" and not quoted:
            parts.append(head[start:index])
            start = index + 1
    parts.append(head[start:])
    group, _, name = parts[0].rpartition(".")
    params: list[tuple[str, str]] = []
    for part in parts[1:]:
        key, _, val = part.partition("=")
        params.append((key.upper(), val))
    return group, name.upper(), tuple(params), value


def parse(text: str) -> list[Block]:
    """The top-level components of `text`; unbalanced END lines are ignored, unclosed blocks
    are closed at the end (the caller validated the resource already)."""
    stack: list[tuple[str, list[Line | Block]]] = [("", [])]
    for raw in unfold(text):
        _, name, _, value = split_line(raw)
        if name == "BEGIN":
            stack.append((value.strip().upper(), []))
        elif name == "END" and len(stack) > 1:
            block_name, children = stack.pop()
            stack[-1][1].append(Block(block_name, tuple(children)))
        elif len(stack) > 1:
            stack[-1][1].append(Line(name, raw))
    while len(stack) > 1:
        block_name, children = stack.pop()
        stack[-1][1].append(Block(block_name, tuple(children)))
    return [c for c in stack[0][1] if isinstance(c, Block)]


def fold(line: str) -> str:
    """One content line folded at 75 octets without splitting a UTF-8 sequence, CRLF-joined."""
    data = line.encode("utf-8")
    if len(data) <= FOLD_OCTETS:
        return line
    pieces: list[str] = []
    start, limit = 0, FOLD_OCTETS
    while start < len(data):
        end = min(start + limit, len(data))
        while end < len(data) and (data[end] & 0xC0) == 0x80:
            end -= 1  # never cut inside a multi-byte character
        pieces.append(data[start:end].decode("utf-8"))
        start, limit = end, FOLD_OCTETS - 1
    return "\r\n ".join(pieces)


def serialize(blocks: list[Block]) -> str:
    """CRLF text with folded lines (RFC 5545 §3.1)."""
    out: list[str] = []

    def emit(block: Block) -> None:
        out.append(f"BEGIN:{block.name}")
        for child in block.children:
            if isinstance(child, Line):
                out.append(fold(child.text))
            else:
                emit(child)
        out.append(f"END:{block.name}")

    for block in blocks:
        emit(block)
    return "\r\n".join(out) + "\r\n"


def reparse_block(text: str) -> Block | None:
    """A block back from `Block.text()`."""
    found = parse(text)
    return found[0] if found else None
