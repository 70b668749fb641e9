"""Text a preset carries to a terminal (names, descriptions, lessons): no character that would act on the terminal
instead of being shown. Torch-free."""

from __future__ import annotations

import unicodedata

# bidirectional embeddings, overrides and isolates: they reorder what the reader sees ("Trojan Source")
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def control_character(text: str, allowed: str = "") -> str | None:
    """The first character of ``text`` a terminal would act on rather than show (C0/C1 controls such as ESC, BEL
    or NUL, DEL, bidirectional controls), as 'U+001B at character 7'; None when there is none. Characters in
    ``allowed`` (e.g. a newline in prose) pass."""
    for position, ch in enumerate(text, start=1):
        if ch in allowed:
            continue
        if unicodedata.category(ch) == "Cc" or ch in BIDI_CONTROLS:
            return f"U+{ord(ch):04X} at character {position}"
    return None


def shown(text: str, allowed: str = "") -> str:
    """``text`` with every character ``control_character`` names written as its escape (ESC as \\x1b, U+202E as
    \\u202e), so a message that quotes a user's text shows it instead of acting on the terminal."""
    out = []
    for ch in text:
        if ch not in allowed and (unicodedata.category(ch) == "Cc" or ch in BIDI_CONTROLS):
            out.append(f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return "".join(out)
