"""pages follows LastEvaluatedKey to the end, and stops reading when the caller stops."""
from __future__ import annotations

from itertools import islice
from typing import Any

from chalicelib.store import pages
from chalicelib.store.tables import table


def _seed(count: int) -> Any:
    tbl = table("orgs")
    with tbl.batch_writer() as batch:
        for i in range(count):
            batch.put_item(Item={"pk": "PAGED", "sk": f"ITEM#{i:03d}"})
    return tbl


def _counting(call: Any, calls: list[int]) -> Any:
    def counted(**kwargs: Any) -> Any:
        calls.append(1)
        return call(**kwargs)
    return counted


def test_items_reads_every_page(aws: Any) -> None:
    tbl = _seed(23)
    calls: list[int] = []
    found = list(pages.items(_counting(tbl.query, calls), KeyConditionExpression="pk = :p",
                             ExpressionAttributeValues={":p": "PAGED"}, Limit=5))
    assert [i["sk"] for i in found] == [f"ITEM#{i:03d}" for i in range(23)]
    assert len(calls) == 5  # 5+5+5+5+3, the last page has no LastEvaluatedKey


def test_items_stops_reading_when_the_caller_stops(aws: Any) -> None:
    tbl = _seed(23)
    calls: list[int] = []
    first = list(islice(pages.items(_counting(tbl.query, calls), KeyConditionExpression="pk = :p",
                                    ExpressionAttributeValues={":p": "PAGED"}, Limit=5), 7))
    assert len(first) == 7 and len(calls) == 2


def test_pages_of_an_empty_result_is_one_empty_page(aws: Any) -> None:
    found = list(pages.pages(table("orgs").query, KeyConditionExpression="pk = :p",
                             ExpressionAttributeValues={":p": "NOTHING"}))
    assert len(found) == 1 and found[0]["Items"] == []
