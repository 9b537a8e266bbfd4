"""Keys an actor may not use (deskui/domain/permissions.py), in the interface.

A screen or key layer lists which permission each of its actions needs
(``PERMISSIONS``: action name -> domain Action). For an action the acting
analyst's role does not reach, ``check_action`` answers None: Textual shows the
binding as unavailable (dimmed in the footer and in ``?``) and does not run it.
Pressing the key anyway says why, on one line: the same denial the services
raise (``permission denied: wall is a viewer; replying to a requester needs analyst``).
The services check again whatever the interface shows.
"""

from __future__ import annotations

from typing import ClassVar

from deskui.domain.permissions import Action, denial, may


class PermissionGate:
    """Mixin for a Screen or a widget with BINDINGS (put it first among the bases)."""

    #: Action name (as in the bindings) -> the permission it needs.
    PERMISSIONS: ClassVar[dict[str, Action]] = {}

    def needed_permission(self, action: str) -> Action | None:
        """The permission ``action`` needs now (a subclass may look at the ticket)."""
        return self.PERMISSIONS.get(action)

    def permission_denial(self, action: str) -> str | None:
        """The one line saying why the actor may not do ``action`` now; None when they may."""
        needed = self.needed_permission(action)
        desk = getattr(self.app, "desk", None)
        if needed is None or desk is None:
            return None
        actor = desk.actor
        return None if may(actor.role, needed) else denial(actor.username, actor.role, needed)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if self.permission_denial(action) is not None:
            return None  # shown, unavailable
        return super().check_action(action, parameters)

    def on_key(self, event) -> None:
        """A key whose action is unavailable for this actor: say why (the binding itself
        does not run). Keys an inner widget binds and may use go their way."""
        for binding in self._bindings.key_to_bindings.get(event.key, ()):
            action = binding.action.split("(", 1)[0]
            line = self.permission_denial(action)
            if line is None:
                return
            if self._handled_inside(event.key):
                return
            event.stop()
            event.prevent_default()
            self.notify(line, severity="warning", markup=False)
            return

    def _handled_inside(self, key: str) -> bool:
        """Whether a widget between the focus and this one has a usable binding for ``key``."""
        node = self.screen.focused
        while node is not None and node is not self:
            for binding in node._bindings.key_to_bindings.get(key, ()):
                if node.check_action(binding.action.split("(", 1)[0], ()):
                    return True
            node = node.parent
        return False
