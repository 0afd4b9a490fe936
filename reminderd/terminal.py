"""Text from the log, the config or an imported file, made safe to print on a terminal.

A skip reason or a check-in note is whatever was typed or imported: an escape sequence in
it would be run by the terminal (`ESC ] 52` writes the clipboard, `ESC [ 2 J` clears the
screen) and a newline or carriage return would break a table or forge a line. Every text
output shows such characters as visible escapes (`\\x1b`, `\\n`); JSON and CSV keep the
exact text, since their readers do not interpret it.
"""

from __future__ import annotations

# C0 controls, DEL and C1 controls (the terminal's commands), the Unicode line and
# paragraph separators, and the bidirectional controls that reorder what is shown.
_INVISIBLE = [*range(0x00, 0x20), 0x7F, *range(0x80, 0xA0), 0x061C, 0x200E, 0x200F, 0x2028, 0x2029,
              *range(0x202A, 0x202F), *range(0x2066, 0x206A)]
_SHORT = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
_ESCAPES = {code: _SHORT.get(chr(code)) or (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
            for code in _INVISIBLE}


def visible(text: object) -> str:
    """`text` with every control character shown as an escape, never interpreted:
    "skipped\\x1b[2J" prints as `skipped\\x1b[2J`. Everything else is kept as it is."""
    return str(text).translate(_ESCAPES)


def visible_lines(text: str) -> str:
    """Several lines of our own (a message, a table) whose parts may hold foreign text:
    each line made visible, the line breaks between them kept."""
    return "\n".join(visible(line) for line in text.split("\n"))
