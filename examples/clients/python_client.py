"""Start a planwright run, approve its plan and read its result from Python, with no planwright code.

    pip install temporalio
    TEMPORAL_ADDRESS=localhost:7233 python examples/clients/python_client.py "Count the tickets per intent"

The run's state and result are plain JSON: large step outputs appear as {"ref", "bytes", "preview"};
`planwright result <workflow-id> --output <step>` prints one whole.
"""

import asyncio
import json
import os
import sys
import time

from temporalio.client import Client, WorkflowUpdateFailedError


async def main(goal: str) -> None:
    client = await Client.connect(os.environ.get("TEMPORAL_ADDRESS", "localhost:7233"))
    workflow_id = f"py-{int(time.time() * 1000)}"
    handle = await client.start_workflow(
        "planAndExecute",
        {"goal": goal, "approval": "plan"},
        id=workflow_id,
        task_queue=os.environ.get("PLANWRIGHT_TASK_QUEUE", "planwright"),
    )
    print(f"started {workflow_id}")

    state = await handle.query("state")
    while state["status"] not in ("awaiting-approval", "completed", "partial", "failed", "rejected", "cancelled"):
        await asyncio.sleep(0.2)
        state = await handle.query("state")
    if state["status"] == "awaiting-approval":
        for step in state["plan"]["steps"]:
            print(f"  {step['id']}: {step['title']} ({step.get('tool') or 'open step'})")
        try:
            await handle.execute_update("approvePlan", {"version": state["plan"]["version"] + 1})
        except WorkflowUpdateFailedError as err:
            print(f"a stale version is refused: {err.cause}")
        status = await handle.execute_update("approvePlan", {"version": state["plan"]["version"]})
        print(f"approved plan v{state['plan']['version']} ({status})")

    result = await handle.result()
    print(f"status: {result['status']}")
    for step in result["steps"]:
        output = step.get("output")
        shown = f"stored, {output['bytes']} bytes: {output['preview'][:60]}" if isinstance(output, dict) and set(output) == {"ref", "bytes", "preview"} else json.dumps(output)[:80]
        print(f"  {step['id']}: {step['status']} — {shown}")
    print(result.get("answer", ""))


if __name__ == "__main__":
    asyncio.run(main(" ".join(sys.argv[1:]) or "Count the tickets per intent"))
