"""Run pages: the items a run's detail shows (issues, tests, edits, ...), stored at ingest beside the
payload so that a page costs two small ranged reads instead of reading, gunzipping and parsing the
whole payload, and a filtered page a few more.

One object per run, ``<runId>.pages.bin`` next to ``<runId>.json.gz``, laid out as:

- an offset table: little-endian uint64, the byte offset of each chunk and one more where the
  chunks end; chunk ``c``'s entries are bytes ``8c`` to ``8c + 16``, so the table slice of any
  chunk range is known without reading anything first;
- the chunks: each one gzip member holding the JSON array of CHUNK_ITEMS items, in payload order;
- per filter (facet) and value, the ordinals of the items it matches: one gzip member of
  delta-coded little-endian uint32;
- per facet, a directory: one gzip member of JSON ``{value: [offset, length, count]}``; where each
  directory lies is kept on the run item.

A filter matches exactly what the full read matched (``FILTER_FIELDS``): an item is listed under
the string of each field's value. Runs stored before pages existed have no ``pagesKey``: their
detail reads the payload as before (``read`` answers None)."""
from __future__ import annotations

import gzip
import json
import sys
from array import array
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from chalicelib.logs import logger
from chalicelib.store import payloads

FORMAT = 1
CHUNK_ITEMS = 100  # a default page (50) lies in one chunk or two adjacent ones: one ranged GET
SUFFIX = ".pages.bin"
# Ranges of a filtered page closer than this are read as one (a few KB read past beats a request).
MERGE_GAP = 64 * 1024
_OFFSET = 8  # bytes of one offset-table entry

# Where each item filter looks in an item (issues: severity, file, code; tests: status or outcome).
FILTER_FIELDS: dict[str, tuple[str, ...]] = {
    "severity": ("severity",), "file": ("file",), "rule": ("code", "ruleId", "rule"), "status": ("status", "outcome"),
}


def pages_key(payload_key: str) -> str:
    """The pages object of a run, beside its payload."""
    return payload_key.removesuffix(".json.gz") + SUFFIX


def filter_values(entry: Any, name: str) -> set[str]:
    """The values under which filter ``name`` finds this item (none for an item that is not an object)."""
    if not isinstance(entry, dict):
        return set()
    return {str(entry[f]) for f in FILTER_FIELDS[name] if entry.get(f) is not None}


@dataclass(frozen=True)
class Built:
    """The pages object and what the run item keeps to read it."""

    blob: bytes
    meta: dict[str, Any]


def build(kind: str, items: Sequence[Any]) -> Built:
    """The pages of a run's items (the list the detail pages), in one pass over the parsed items."""
    total = len(items)
    chunks: list[bytes] = []
    postings: dict[str, dict[str, array]] = {name: {} for name in FILTER_FIELDS}
    for start in range(0, total, CHUNK_ITEMS):
        part = items[start:start + CHUNK_ITEMS]
        chunks.append(_pack(json.dumps(part, separators=(",", ":")).encode()))
        for ordinal, entry in enumerate(part, start):
            for name, by_value in postings.items():
                for value in filter_values(entry, name):
                    by_value.setdefault(value, array("I")).append(ordinal)
    members: list[bytes] = []
    at = _OFFSET * (len(chunks) + 1)
    offsets = array("Q")
    for member in chunks:
        offsets.append(at)
        members.append(member)
        at += len(member)
    offsets.append(at)
    del chunks
    facets: dict[str, list[int]] = {}
    for name, by_value in postings.items():
        if not by_value:
            continue
        directory: dict[str, list[int]] = {}
        for value, ordinals in by_value.items():
            member = _pack(_le(_deltas(ordinals)).tobytes())
            directory[value] = [at, len(member), len(ordinals)]
            members.append(member)
            at += len(member)
        member = _pack(json.dumps(directory, separators=(",", ":")).encode())
        facets[name] = [at, len(member)]
        members.append(member)
        at += len(member)
    blob = _le(offsets).tobytes() + b"".join(members)
    return Built(blob, {"v": FORMAT, "kind": kind, "total": total, "chunk": CHUNK_ITEMS, "facets": facets})


def read(item: dict[str, Any], offset: int, limit: int, wanted: dict[str, str],
         contains: dict[str, str] | None = None) -> tuple[str, list[Any], int] | None:
    """(item kind, the page's items, how many match) of a run with pages; None for a run stored
    before pages existed, or whose pages object is gone (the caller reads the payload).

    ``wanted``: filter values an item must have (the API's filters); ``contains``: lowercase text
    one of the item's filter values must contain (the dashboard's file search)."""
    meta, key = item.get("pages"), item.get("pagesKey")
    if not key or not isinstance(meta, dict) or int(meta.get("v", 0)) != FORMAT:
        return None
    total, size = int(meta["total"]), int(meta["chunk"])
    try:
        if wanted or contains:
            matching = _matching(str(key), meta, wanted, contains or {})
            total, ordinals = len(matching), matching[offset:offset + limit]
        else:
            ordinals = range(offset, min(offset + limit, total))
        return str(meta["kind"]), _fetch(str(key), size, ordinals), total
    except _Missing:
        logger.error("run pages missing; reading the payload", extra={"run_id": item.get("runId"), "key": key})
        return None


class _Missing(Exception):
    """The pages object is gone."""


def _fetch(key: str, size: int, ordinals: Sequence[int]) -> list[Any]:
    """The items at these ordinals (ascending), reading only the chunks that hold them."""
    if not ordinals:
        return []
    wanted = sorted({o // size for o in ordinals})
    first, last = wanted[0], wanted[-1]
    table = _le(array("Q", _got(payloads.get_range(key, _OFFSET * first, _OFFSET * (last + 2)))))
    spans = [(table[c - first], table[c - first + 1]) for c in wanted]
    chunk_items = {c: json.loads(gzip.decompress(body)) for c, body in zip(wanted, _read_spans(key, spans))}
    return [chunk_items[o // size][o % size] for o in ordinals]


def _read_spans(key: str, spans: list[tuple[int, int]]) -> list[bytes]:
    """The bytes of each (start, end) span (ascending, not overlapping) of the object; spans closer
    than MERGE_GAP are read by one ranged GET, the GETs side by side."""
    reads: list[list[int]] = []  # [start, end, first span, last span]
    for i, (start, end) in enumerate(spans):
        if reads and start - reads[-1][1] <= MERGE_GAP:
            reads[-1][1], reads[-1][3] = end, i
        else:
            reads.append([start, end, i, i])
    out: list[bytes] = []
    for (base, _, i0, i1), body in zip(reads, payloads.get_ranges(key, [(r[0], r[1]) for r in reads])):
        data = _got(body)
        out += [data[start - base:end - base] for start, end in spans[i0:i1 + 1]]
    return out


def _matching(key: str, meta: dict[str, Any], wanted: dict[str, str], contains: dict[str, str]) -> list[int]:
    """Ordinals of the items every filter matches, ascending."""
    facets = meta.get("facets") or {}
    directories: dict[str, dict[str, list[int]]] = {}
    groups: list[list[list[int]]] = []  # per filter: the ordinal lists whose union it matches
    tests = [(name, value, False) for name, value in wanted.items()] + [(n, v, True) for n, v in contains.items()]
    for name, value, partial in tests:
        if name not in facets:
            return []
        if name not in directories:
            at, length = (int(x) for x in facets[name])
            directories[name] = json.loads(gzip.decompress(_got(payloads.get_range(key, at, at + length))))
        directory = directories[name]
        if partial:
            group = [where for text, where in directory.items() if value in text.lower()]
        else:
            group = [directory[value]] if value in directory else []
        if not group:
            return []
        groups.append(sorted(group))
    groups.sort(key=lambda g: sum(w[2] for w in g))  # the rarest filter first: the intersection never grows
    found: set[int] | None = None
    for group in groups:
        ordinals: set[int] = set()
        for body in _read_spans(key, [(w[0], w[0] + w[1]) for w in group]):
            ordinals.update(_accumulate(_le(array("I", gzip.decompress(body)))))
        found = ordinals if found is None else found & ordinals
        if not found:
            return []
    return sorted(found or ())


def _got(body: bytes | None) -> bytes:
    if body is None:
        raise _Missing()
    return body


def _pack(raw: bytes) -> bytes:
    return gzip.compress(raw, 6, mtime=0)


def _deltas(ordinals: array) -> array:
    out, previous = array("I"), 0
    for o in ordinals:
        out.append(o - previous)
        previous = o
    return out


def _accumulate(deltas: array) -> list[int]:
    out, at = [], 0
    for d in deltas:
        at += d
        out.append(at)
    return out


def _le(values: array) -> array:
    """Little-endian on disk whatever the machine (swapped in place on a big-endian one)."""
    if sys.byteorder == "big":
        values.byteswap()
    return values
