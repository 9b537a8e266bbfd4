"""Editing text in the analyst's own editor ($VISUAL, else $EDITOR, else vi).

The app is suspended while the editor owns the terminal; the ticket screen's
reply composer and the knowledge screen's article editing use it.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import tempfile
from pathlib import Path

from textual.app import App, SuspendNotSupported


class EditorError(Exception):
    pass


def editor_command() -> list[str]:
    editor = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
    return shlex.split(editor)


def edit_in_editor(app: App, text: str, suffix: str = ".txt") -> str:
    """Edit ``text`` in $VISUAL / $EDITOR on a temp file and return what was saved.

    The app is suspended while the editor owns the terminal. Where the driver
    cannot suspend (headless tests) the editor runs without a terminal.
    Raises EditorError with one clear line when the editor is missing or fails.
    """
    command = editor_command()
    fd, name = tempfile.mkstemp(prefix="deskui-", suffix=suffix, text=True)
    path = Path(name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        failure: OSError | None = None
        code = 0
        try:
            # App.suspend() only resumes the app when its block ends normally,
            # so nothing may raise out of it.
            with app.suspend():
                try:
                    code = subprocess.run([*command, str(path)]).returncode
                except OSError as exc:
                    failure = exc
        except SuspendNotSupported:
            try:
                code = subprocess.run([*command, str(path)], stdin=subprocess.DEVNULL,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode
            except OSError as exc:
                failure = exc
        if failure is not None:
            reason = failure.strerror or type(failure).__name__
            raise EditorError(f"editor {' '.join(command)!r} could not start ({reason}); set $EDITOR")
        if code != 0:
            raise EditorError(f"editor {' '.join(command)!r} exited with status {code}; text unchanged")
        return path.read_text(encoding="utf-8")
    finally:
        path.unlink(missing_ok=True)
