"""Thread workers for database calls (DESIGN.md §1, issue 11).

Every database call from the TUI runs in a thread worker. When it fails, the
analyst sees one line (``deskui.reads.failures.one_line``) and the app keeps
running: a locked database while a dialog loads must not close deskui.

- ``@db_work(group=..., exclusive=...)`` on a method: the method runs in a
  thread; an exception it lets through becomes a notice (and ``on_failure``,
  when given, is called on the UI thread with that line).
- ``run_db(node, call, group=...)``: the same for a plain callable.
"""

from __future__ import annotations

import functools
from typing import Any, Callable

from textual import work
from textual.dom import DOMNode
from textual.worker import Worker


def _report(node: DOMNode, what: str, exc: BaseException, on_failure: Callable[[str], None] | None) -> None:
    from deskui.reads.failures import one_line

    line = f"{what}: {one_line(exc)}" if what else one_line(exc)
    app = node.app

    def show() -> None:
        if on_failure is not None:
            on_failure(line)
        app.notify(line, severity="error", markup=False)

    try:
        app.call_from_thread(show)
    except RuntimeError:  # the app is shutting down: nobody to tell
        pass


def db_work(*, group: str = "default", exclusive: bool = False, what: str = "",
            on_failure: str | None = None) -> Callable:
    """Decorate a method to run in a thread worker that reports its failure.

    ``what`` prefixes the notice ("Loading ticket"); ``on_failure`` names a method
    of the same object called with the notice's line on the UI thread.
    """

    def decorator(method: Callable) -> Callable:
        @functools.wraps(method)
        def guarded(self, *args: Any, **kwargs: Any) -> Any:
            try:
                return method(self, *args, **kwargs)
            except Exception as exc:  # noqa: BLE001 - every failure becomes one line
                handler = getattr(self, on_failure) if on_failure else None
                _report(self, what, exc, handler)
                return None

        return work(guarded, thread=True, exclusive=exclusive, group=group, exit_on_error=False)

    return decorator


def run_db(node: DOMNode, call: Callable[[], Any], *, group: str = "default", exclusive: bool = False,
           name: str = "", what: str = "", on_failure: Callable[[str], None] | None = None) -> Worker:
    """Run ``call`` in a thread worker of ``node``; its failure becomes a notice."""

    def guarded() -> Any:
        try:
            return call()
        except Exception as exc:  # noqa: BLE001
            _report(node, what, exc, on_failure)
            return None

    return node.run_worker(guarded, thread=True, group=group, exclusive=exclusive, name=name, exit_on_error=False)
