"""The bulletin banner: known issues and planned changes in force, on every screen
that mounts it (``yield BulletinBanner()``).

Cheap live updates: every ``live_refresh_seconds`` a thread worker asks one
aggregate (:func:`deskui.reads.bulletins.stamp`: count and newest change);
only when it moved are the bulletins re-read (active and scheduled ones). The
banner switches bulletins on and off by the clock itself, so one expires at its
end time without a query. Hidden when nothing is in force. Bulletin text is
untrusted: rendered as rich Text, never markup.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from rich.text import Text
from textual import work
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget
from textual.worker import get_current_worker

from deskui import clock

if TYPE_CHECKING:  # the read module loads the models: not before the queue's first paint
    from deskui.reads.bulletins import BulletinRecord

ICONS = {"critical": "■", "major": "▲", "minor": "●", "info": "ℹ"}
# At most this many lines; the rest are counted.
MAX_LINES = 2


def active_now(bulletins: list[BulletinRecord], now: datetime) -> list[BulletinRecord]:
    """In force at ``now``, most severe first, then the newest."""
    return sorted((b for b in bulletins if b.is_active(now)), key=lambda b: (-b.rank, -b.starts_at.timestamp(), -b.id))


def bulletin_line(b: BulletinRecord, width: int | None = None) -> Text:
    kind = "planned change" if b.kind == "planned_change" else "known issue"
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append(f" {ICONS.get(b.severity, '●')} {b.severity.upper()} ", style="bold")
    text.append(f"{b.ref} ", style="bold")
    text.append(b.title)
    text.append(f"  · {kind} until {b.ends_at:%a %H:%M} UTC")
    if b.linked:
        text.append(f" · {b.linked} linked")
    return text


class BulletinBanner(Widget):
    """Bulletins in force, most severe first (polls cheaply, expires by itself)."""

    DEFAULT_CSS = """
    BulletinBanner { height: auto; max-height: 3; display: none; background: $primary 25%; color: $foreground; }
    BulletinBanner.-shown { display: block; }
    BulletinBanner.-minor { background: $accent 30%; }
    BulletinBanner.-major { background: $warning 40%; }
    BulletinBanner.-critical { background: $error 55%; }
    """

    shown: reactive[tuple[BulletinRecord, ...]] = reactive((), layout=True)

    class Changed(Message):
        """New bulletins were read (bubbles: a screen may react)."""

        def __init__(self, bulletins: list[BulletinRecord]) -> None:
            super().__init__()
            self.bulletins = bulletins

    def __init__(self, *, poll_on_mount: bool = True, **kwargs) -> None:
        kwargs.setdefault("id", "bulletin-banner")
        super().__init__(**kwargs)
        self._poll_on_mount = poll_on_mount
        self.bulletins: list[BulletinRecord] = []
        self._stamp: tuple | None = None
        self._announced: set[int] = set()
        self._first = True  # until the first read: what is in force then is no news

    @property
    def active(self) -> list[BulletinRecord]:
        """What the banner shows now (most severe first)."""
        return list(self.shown)

    def on_mount(self) -> None:
        if self._poll_on_mount:
            self.poll()
        seconds = getattr(self.app.desk, "live_refresh_seconds", 0) or 0
        if seconds > 0:
            self.set_interval(seconds, self.poll, name="bulletin-poll")
            # Switching on and off by the clock needs no database.
            self.set_interval(1.0, self.tick, name="bulletin-clock")

    def poll(self, force: bool = False) -> None:
        self._read(self.app.desk.engine, None if force else self._stamp)

    @work(thread=True, exclusive=True, group="bulletin-poll", exit_on_error=False)
    def _read(self, engine, seen: tuple | None) -> None:
        from deskui.reads.bulletins import not_over, stamp

        current = stamp(engine)
        if seen is not None and current == seen:
            return
        found = not_over(engine)
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self._loaded, current, found)

    def _loaded(self, current: tuple, found: list[BulletinRecord]) -> None:
        self._stamp = current
        self.bulletins = found
        self.tick()
        self._first = False
        self.post_message(self.Changed(found))

    def tick(self) -> None:
        now = clock.now()
        shown = tuple(active_now(self.bulletins, now))
        if shown != self.shown:
            self.shown = shown
        fresh = [b for b in shown if b.id not in self._announced]
        self._announced.update(b.id for b in shown)
        if fresh and not self._first:
            b = fresh[0]
            self.notify(f"{b.ref} {b.title}", title=f"Bulletin: {b.severity}",
                        severity="error" if b.severity == "critical" else "warning", markup=False)

    def watch_shown(self, shown: tuple[BulletinRecord, ...]) -> None:
        self.set_class(bool(shown), "-shown")
        top = shown[0].severity if shown else ""
        for severity in ("info", "minor", "major", "critical"):
            self.set_class(top == severity, f"-{severity}")

    def render(self) -> Text:
        shown = list(self.shown)
        if not shown:
            return Text("")
        lines = [bulletin_line(b) for b in shown[:MAX_LINES]]
        if len(shown) > MAX_LINES:
            lines[-1].append(f"  (+{len(shown) - MAX_LINES} more)", style="italic")
        return Text("\n").join(lines)
