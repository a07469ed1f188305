"""User-supplied file names, made safe to show and to offer as a download name.

A name never becomes part of an S3 key (keys are chosen by the server); it is kept as metadata
and returned in Content-Disposition, so it must not carry paths, traversal, NUL, control or
bidirectional-override characters, nor a disguising double extension ("invoice.pdf.exe")."""
from __future__ import annotations

import re
import unicodedata

MAX_LENGTH = 255
FALLBACK = "file"

# Windows device names are unsafe as a file name on download, whatever the extension.
_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10))}
_BIDI_AND_INVISIBLE = {"\u061c", "\u200b", "\u200c", "\u200d", "\u200e", "\u200f", "\u2060", "\ufeff",
                       *(chr(c) for c in range(0x202A, 0x202F)), *(chr(c) for c in range(0x2066, 0x206A))}
_UNSAFE_PUNCT = set('<>:"|?*\\/')
_SPACES = re.compile(r"\s+")


def _keep(ch: str) -> bool:
    if ch in _BIDI_AND_INVISIBLE or ch in _UNSAFE_PUNCT:
        return False
    category = unicodedata.category(ch)
    return not (category.startswith("C") or category in {"Zl", "Zp"})


# Extensions of two parts that name one format (kept whole; any other inner dot becomes "_").
COMPOUND_EXTENSIONS = ("tar.gz", "tar.bz2", "tar.xz", "tar.zst")


def sanitize(name: str) -> str:
    """A display-safe base name (1–255 characters) for any input, never empty."""
    text = unicodedata.normalize("NFC", name or "")
    text = text.replace("\\", "/").rsplit("/", 1)[-1]  # last path component only
    text = "".join(ch if _keep(ch) else "_" if ch in _UNSAFE_PUNCT else "" for ch in text)
    text = _SPACES.sub(" ", text).strip(" .")
    while ".." in text:
        text = text.replace("..", ".")
    compound = next((c for c in COMPOUND_EXTENSIONS if text.lower().endswith("." + c) and len(text) > len(c) + 1), None)
    if compound:  # report.tar.gz stays report.tar.gz: one extension of two parts, not a disguise
        stem = text[: -len(compound) - 1].replace(".", "_").strip(" _") or FALLBACK
        text = f"{stem}.{text[-len(compound):]}"
    else:
        stem, dot, ext = text.rpartition(".")
        if dot:
            stem = stem.replace(".", "_").strip(" _") or FALLBACK
            ext = ext.strip()
            text = f"{stem}.{ext}" if ext else stem
    if text.split(".", 1)[0].strip().lower() in _RESERVED:
        text = f"_{text}"
    text = text or FALLBACK
    if len(text) > MAX_LENGTH:
        stem, dot, ext = text.rpartition(".")
        if dot and len(ext) <= 16:
            text = stem[: MAX_LENGTH - len(ext) - 1].rstrip(" .") + "." + ext
        else:
            text = text[:MAX_LENGTH].rstrip(" .")
    return text or FALLBACK


def extension(name: str) -> str:
    """Lower-case extension of a sanitized name ('' when none)."""
    stem, dot, ext = name.rpartition(".")
    return ext.lower() if dot and stem else ""
