"""Follow a planwright run's live stream with temporalio's own Workflow Streams client.

    python follow_run.py <workflow-id> [--from N] [--topics events,answer] [--json]

Prints one line per event (offset, kind, message) and the answer as it is written; with --json, one JSON object per
item ({"offset", "topic", "data"}). Ends after the run's `run-finished` event, or when the run has ended and its
remaining items are read. TEMPORAL_ADDRESS (default localhost:7233) and TEMPORAL_NAMESPACE (default "default") say
where the run is.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import sys
from typing import Any, AsyncIterator

from temporalio.api.common.v1 import Payload
from temporalio.client import Client, WorkflowQueryFailedError
from temporalio.contrib.workflow_streams import WorkflowStreamClient

# The run's own query for its stream's items from an offset on. Python's stream client reads an ended run with the
# poll's query, which a TypeScript workflow cannot answer (the SDK reserves the name); the run answers this one.
STREAM_ITEMS_QUERY = "planwright.streamItems"


def line(offset: int, event: dict) -> str:
    """One event, in one line for people."""
    kind = event.get("type") if event.get("kind") == "note" else event.get("kind")
    message = str(event.get("message", "")).split("\n")[0]
    return f"{offset:4} {str(kind):15} {message}"


async def follow(workflow_id: str, from_offset: int, topics: list[str], as_json: bool) -> None:
    client = await Client.connect(
        os.environ.get("TEMPORAL_ADDRESS", "localhost:7233"),
        namespace=os.environ.get("TEMPORAL_NAMESPACE", "default"),
    )
    answering = False
    async for offset, topic, data in items(client, workflow_id, from_offset, topics):
        if as_json:
            print(json.dumps({"offset": offset, "topic": topic, "data": data}), flush=True)
        elif topic == "answer":
            sys.stdout.write(data.get("text", ""))
            sys.stdout.flush()
            answering = True
        else:
            if answering:
                print()
                answering = False
            if data.get("kind") != "usage":
                print(line(offset, data), flush=True)
        if topic == "events" and data.get("kind") == "run-finished":
            break


async def items(client: Client, workflow_id: str, offset: int, topics: list[str]) -> AsyncIterator[tuple[int, str, Any]]:
    """The run's items from `offset` on: live with the stream client, then (for an ended run) with the run's query."""
    stream = WorkflowStreamClient.create(client, workflow_id)
    try:
        async for item in stream.subscribe(topics, offset):
            offset = item.offset + 1
            yield item.offset, item.topic, item.data
        return
    except WorkflowQueryFailedError:
        pass  # the run has ended: read the rest with its own query
    result = await client.get_workflow_handle(workflow_id).query(STREAM_ITEMS_QUERY, offset)
    converter = client.data_converter.payload_converter
    for wire in result["items"]:
        if wire["offset"] < offset or wire["topic"] not in topics:
            continue
        payload = Payload()
        payload.ParseFromString(base64.b64decode(wire["data"]))
        yield wire["offset"], wire["topic"], converter.from_payload(payload)


def main() -> None:
    parser = argparse.ArgumentParser(description="Follow a planwright run's live stream.")
    parser.add_argument("workflow_id", help="the run's workflow id")
    parser.add_argument("--from", dest="from_offset", type=int, default=0, help="the first offset to read")
    parser.add_argument("--topics", default="events,answer", help="topics to read, comma-separated")
    parser.add_argument("--json", action="store_true", help="print one JSON object per item")
    args = parser.parse_args()
    topics = [t for t in args.topics.split(",") if t]
    asyncio.run(follow(args.workflow_id, args.from_offset, topics, args.json))


if __name__ == "__main__":
    main()
