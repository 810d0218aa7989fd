"""Text printed to a terminal: record text must never drive the terminal.

Record text can carry escape sequences (``ESC[2J`` clears the screen, colour codes, OSC-8
hyperlinks that disguise a link, a bare carriage return that overwrites the line). Everything
the CLI prints in text mode passes through :func:`printable` first. ``--json`` output is JSON,
which escapes control characters itself.
"""

from __future__ import annotations

import re

# ESC-introduced sequences: CSI (ESC [ ... final), OSC (ESC ] ... BEL or ESC \), and the other
# two-character escapes; then the 8-bit C1 forms (CSI 0x9b, OSC 0x9d); then any remaining C0/C1
# control character except newline and tab.
_ESCAPES = re.compile(
    r"""
    \x1b\[[0-?]*[ -/]*[@-~]          # CSI
    | \x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?   # OSC, terminated by BEL or ST
    | \x1b[PX^_][^\x1b]*(?:\x1b\\)?  # DCS, SOS, PM, APC
    | \x1b[@-Z\\-_]                  # other Fe escapes
    | \x9b[0-?]*[ -/]*[@-~]          # 8-bit CSI
    | \x9d[^\x07\x9c]*(?:\x07|\x9c)? # 8-bit OSC
    """,
    re.VERBOSE,
)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def printable(text: str) -> str:
    """``text`` without terminal escape sequences or control characters (newline and tab
    kept; a carriage return becomes a space so it cannot overwrite what came before)."""
    text = _ESCAPES.sub("", str(text))
    text = text.replace("\r\n", "\n").replace("\r", " ")
    return _CONTROL.sub("", text)
