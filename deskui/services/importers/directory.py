"""Groups, analysts and categories by name for an import: read once, created on demand."""

from __future__ import annotations

from sqlalchemy import insert, select
from sqlmodel import Session

from deskui.services.importers.rows import SourceRow
from deskui.services.importers.values import slug
from deskui.store.models import Analyst, Category, Group


class Directory:
    """Groups, analysts and categories by name, loaded once per import.

    Names created during a batch are forgotten again if the batch rolls back.
    """

    def __init__(self, create_missing: bool, source_title: str, created: set | None = None):
        self.create_missing = create_missing
        self.source_title = source_title
        self.loaded = False
        self.groups: dict[str, tuple[int, str, int]] = {}
        self.group_names: dict[int, tuple[str, int]] = {}
        self.analysts: dict[str, tuple[int, str]] = {}
        self.usernames: dict[int, str] = {}
        self.categories: dict[str, tuple[int, int | None]] = {}
        self.category_paths: dict[int, str] = {}
        self.created: set[tuple[str, str]] = created if created is not None else set()
        self._undo: list = []

    def load(self, session: Session) -> None:
        if self.loaded:
            return
        for g in session.execute(select(Group.id, Group.name, Group.tier)):
            self._add_group(g.id, g.name, g.tier)
        for a in session.execute(select(Analyst.id, Analyst.username, Analyst.name, Analyst.email).order_by(Analyst.id)):
            self._add_analyst(a.id, a.username, a.name, a.email)
        rows = session.execute(select(Category.id, Category.path, Category.parent_id, Category.group_id)).all()
        own = {c.id: c.group_id for c in rows}
        for c in rows:
            routing = c.group_id if c.group_id is not None else own.get(c.parent_id)
            self._add_category(c.id, c.path, routing)
        self._undo.clear()
        self.loaded = True

    def commit(self) -> None:
        self._undo.clear()

    def rollback(self) -> None:
        for mapping, key in reversed(self._undo):
            mapping.pop(key, None)
        self._undo.clear()

    def _put(self, mapping: dict, key, value) -> None:
        if key not in mapping:
            mapping[key] = value
            self._undo.append((mapping, key))

    def _add_group(self, gid: int, name: str, tier: int) -> None:
        self._put(self.groups, name.strip().lower(), (gid, name, tier))
        self._put(self.group_names, gid, (name, tier))

    def _add_analyst(self, aid: int, username: str, name: str, email: str) -> None:
        for key in (username, name, email):
            if key:
                self._put(self.analysts, key.strip().lower(), (aid, username))
        self._put(self.usernames, aid, username)

    def _add_category(self, cid: int, path: str, routing: int | None) -> None:
        self._put(self.categories, path.lower(), (cid, routing))
        self._put(self.category_paths, cid, path)

    # -- lookups: (id, ...) or a RowError

    def group(self, session: Session, row: SourceRow, name: str) -> tuple[int, str, int]:
        found = self.groups.get(name.lower())
        if found is not None:
            return found
        if not self.create_missing:
            raise row.error("group", f"{name!r} is not a deskui group; groups: {self._some(self.groups)} "
                            "(map it in a mapping's [values.group] table, or pass --create-missing)", "unknown group")
        if len(name) > 80:
            raise row.error("group", f"{name[:40]!r}... is longer than 80 characters", "bad value")
        gid = session.execute(insert(Group).values(
            name=name, tier=1, description=f"Created by the {self.source_title} import.", email="",
        ).returning(Group.id)).scalar_one()
        self._add_group(gid, name, 1)
        self.created.add(("groups", name.lower()))
        return self.groups[name.lower()]

    def analyst(self, session: Session, row: SourceRow, name: str) -> tuple[int, str]:
        found = self.analysts.get(name.lower())
        if found is not None:
            return found
        if not self.create_missing:
            raise row.error("assignee", f"{name!r} is not a deskui analyst (username, name or email); analysts: "
                            f"{self._some(self.analysts)} (map it in [values.assignee], or pass --create-missing)",
                            "unknown analyst")
        username = base = slug(name)[:60]
        taken = set(self.usernames.values())
        n = 1
        while username in taken:
            n += 1
            username = f"{base}.{n}"
        aid = session.execute(insert(Analyst).values(
            username=username, name=name[:120], email="", role="analyst", tier=1, away=False, active=False,
        ).returning(Analyst.id)).scalar_one()
        self._add_analyst(aid, username, name, "")
        self.created.add(("analysts", username))
        return self.analysts[name.lower()]

    def category(self, session: Session, row: SourceRow, path: str) -> tuple[int, int | None]:
        found = self.categories.get(path.lower())
        if found is not None:
            return found
        if not self.create_missing:
            tops = sorted(p for p in self.category_paths.values() if "/" not in p)
            shown = ", ".join(tops[:12]) + (", ..." if len(tops) > 12 else "") or "none defined"
            raise row.error("category", f"{path!r} is not a deskui category; top-level categories: {shown} "
                            "(subcategories as Parent/Child; map it in [values.category], or pass --create-missing)",
                            "unknown category")
        parts = [p.strip() for p in path.split("/") if p.strip()]
        if len(path) > 170 or any(len(p) > 80 for p in parts):
            raise row.error("category", f"{path[:40]!r}... is too long (80 characters a name, 170 a path)", "bad value")
        parent_id = None
        routing = None
        for depth in range(len(parts)):
            sub = "/".join(parts[: depth + 1])
            known = self.categories.get(sub.lower())
            if known is None:
                cid = session.execute(insert(Category).values(
                    name=parts[depth], parent_id=parent_id, path=sub, group_id=None,
                ).returning(Category.id)).scalar_one()
                self._add_category(cid, sub, routing)
                self.created.add(("categories", sub.lower()))
                known = self.categories[sub.lower()]
            parent_id, routing = known
        return self.categories[path.lower()]

    @staticmethod
    def _some(mapping: dict, limit: int = 10) -> str:
        names = sorted({v[1] if isinstance(v, tuple) and isinstance(v[1], str) else k for k, v in mapping.items()})
        return (", ".join(names[:limit]) + (", ..." if len(names) > limit else "")) or "none defined"
