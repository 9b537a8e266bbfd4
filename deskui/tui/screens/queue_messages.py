"""What the queue screen's thread workers send back, and where their answers
wait while the screen is not mounted yet (the first read starts before it is)."""

from __future__ import annotations

from array import array
from dataclasses import dataclass, field
from threading import Lock

from textual.message import Message
from textual.screen import Screen


@dataclass
class IdsRead(Message):
    """Ids of a query: the first part (``replace``), more (extend), then ``done``."""

    generation: int
    ids: array
    replace: bool
    done: bool
    keep_cursor: bool = False
    rows: list = field(default_factory=list)
    event_id: int | None = None
    error: str = ""
    #: With ``done``: the query's names that match nothing, with the closest (or "").
    names: str = ""


@dataclass
class Refreshed(Message):
    generation: int
    changed: bool
    ids: array | None = None
    rows: list = field(default_factory=list)
    event_id: int | None = None
    counts: list | None = None
    error: str = ""


@dataclass
class CountsRead(Message):
    counts: list


@dataclass
class BulkDone(Message):
    verb: str
    done: list
    failed: list


class MessageSink:
    """Holds a worker's messages until the screen is mounted, then forwards them."""

    def __init__(self) -> None:
        self._lock = Lock()
        self._held: list[Message] = []
        self._target: Screen | None = None

    def post(self, message: Message) -> None:
        with self._lock:
            if self._target is None:
                self._held.append(message)
                return
            target = self._target
        target.post_message(message)

    def attach(self, screen: Screen) -> None:
        with self._lock:
            held, self._held = self._held, []
            self._target = screen
        for message in held:
            screen.post_message(message)
