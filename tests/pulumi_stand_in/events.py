"""The engine events the stand-in sends to `--event-log`, shaped as the real engine's.

Shapes: pulumi/pulumi sdk/go/common/apitype/events.go (EngineEvent and its members: preludeEvent,
resourcePreEvent and resOutputsEvent with StepEventMetadata, diagnosticEvent, resOpFailedEvent,
summaryEvent, cancelEvent). Transport: a CLI newer than 3.205 is given `--event-log tcp://HOST:PORT`
and streams each event as JSON in an `EventRequest` over the `pulumirpc.Events/StreamEvents` gRPC
stream (pulumi/automation/_stack.py, _setup_event_log; runtime/proto/events.proto); an older one is
given a file path and appends one JSON event a line (_stack.py, _watch_logs).
"""

from __future__ import annotations

import json
import queue
import threading
import time
from typing import Optional

import grpc
from pulumi.runtime.proto import events_pb2, events_pb2_grpc


class EventLog:
    """Numbers and time-stamps events and delivers them; a no-op without `--event-log`."""

    def __init__(self, target: Optional[str]):
        self._sequence = 0
        self._file = None
        self._queue: Optional[queue.Queue] = None
        if target is None:
            return
        if target.startswith("tcp://"):
            self._channel = grpc.insecure_channel(target.removeprefix("tcp://"))
            stub = events_pb2_grpc.EventsStub(self._channel)
            self._queue = queue.Queue()
            requests = iter(self._queue.get, None)
            self._stream = threading.Thread(target=stub.StreamEvents, args=(requests,), daemon=True)
            self._stream.start()
        else:
            self._file = open(target, "a", encoding="utf-8")

    def emit(self, kind: str, body: dict) -> None:
        self._sequence += 1
        event = {"sequence": self._sequence, "timestamp": int(time.time()), kind: body}
        text = json.dumps(event)
        if self._queue is not None:
            self._queue.put(events_pb2.EventRequest(event=text))
        elif self._file is not None:
            self._file.write(text + "\n")
            self._file.flush()

    def close(self) -> None:
        """Ends with the cancelEvent the engine sends last, and waits until the stream has delivered."""
        self.emit("cancelEvent", {})
        if self._queue is not None:
            self._queue.put(None)
            self._stream.join(timeout=10)
            self._channel.close()
        elif self._file is not None:
            self._file.close()
