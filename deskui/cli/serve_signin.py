"""Sign-in for `deskui serve` beyond loopback (issue 14.1): each browser session gives an
analyst name and personal token (`deskui analyst token USER`), checked against the
stored scrypt hash; the session's app process then runs as that analyst (`--as USER`),
never as the user running the server. Wrong or revoked tokens are refused and logged;
repeated failures from one address wait longer before the answer (bounded backoff)."""

from __future__ import annotations

import asyncio
import html
import secrets
import shlex
import sys
import time

COOKIE = "deskui_session"
BACKOFF_START, BACKOFF_CAP = 0.5, 8.0  # seconds: 0.5, 1, 2, 4, 8, 8, ...
FORGET_AFTER = 15 * 60  # an address's failures are forgotten after this many quiet seconds
SESSION_HOURS = 12

PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>deskui: sign in</title>
<style>body{{font-family:monospace;background:#111;color:#eee;display:flex;justify-content:center;
margin-top:15vh}}form{{display:flex;flex-direction:column;gap:.6em;width:22em}}input,button{{font:inherit;
padding:.4em}}.error{{color:#f66}}</style></head><body><form method="post" action="/signin">
<h2>deskui: sign in</h2>{error}<label>Analyst <input name="user" id="user" autocomplete="username"
autofocus required maxlength="64"></label><label>Token <input name="token" id="token" type="password"
autocomplete="current-password" required maxlength="256"></label><button type="submit" id="submit">Sign in
</button></form></body></html>"""


def backoff_seconds(failures: int) -> float:
    """Wait before answering an address that failed ``failures`` times (0: none)."""
    return 0.0 if failures <= 0 else min(BACKOFF_CAP, BACKOFF_START * 2 ** (failures - 1))


class SignIn:
    """Sessions (cookie -> analyst) and failures per address, for one server process."""

    def __init__(self, engine, db_url: str, *, secure: bool) -> None:
        self.engine, self.db_url, self.secure = engine, db_url, secure
        self.sessions: dict[str, tuple[str, float]] = {}
        self.failures: dict[str, tuple[int, float]] = {}

    def user_of(self, request) -> str | None:
        entry = self.sessions.get(request.cookies.get(COOKIE, ""))
        if entry is None or entry[1] < time.time():
            return None
        return entry[0]

    def command_for(self, username: str) -> str:
        return shlex.join([sys.executable, "-m", "deskui", "--db", self.db_url, "--as", username])

    def install(self, app, web) -> None:
        app.router.add_get("/signin", self.page)
        app.router.add_post("/signin", self.submit)

        @web.middleware
        async def need_session(request, handler):
            if request.path == "/signin" or request.path.startswith("/static/"):
                return await handler(request)
            if self.user_of(request) is None:
                if request.path == "/":
                    raise web.HTTPFound("/signin")
                return web.Response(status=403, text="deskui: sign in first\n")
            return await handler(request)

        app.middlewares.insert(0, need_session)
        self._web = web

    async def page(self, request, error: str = "", status: int = 200):
        web = self._web
        text = PAGE.format(error=f'<p class="error" id="error">{html.escape(error)}</p>' if error else "")
        return web.Response(text=text, content_type="text/html", status=status)

    async def submit(self, request):
        from deskui.services.tokens import check_token

        web = self._web
        address = request.remote or "?"
        count, last = self.failures.get(address, (0, 0.0))
        if count and time.time() - last > FORGET_AFTER:
            count = 0
        await asyncio.sleep(backoff_seconds(count))
        form = await request.post()
        username = str(form.get("user", ""))[:64].strip()
        token = str(form.get("token", ""))[:256].strip()
        actor = await asyncio.to_thread(check_token, self.engine, username, token) if username and token else None
        if actor is None:
            self.failures[address] = (count + 1, time.time())
            print(f"deskui serve: refused sign-in as {username!r} from {address} "
                  f"(failure {count + 1} from this address)", file=sys.stderr, flush=True)
            return await self.page(request, "Wrong analyst name or token (or the token was revoked).", 403)
        self.failures.pop(address, None)
        session = secrets.token_urlsafe(32)
        self.sessions[session] = (actor.username, time.time() + SESSION_HOURS * 3600)
        print(f"deskui serve: {actor.username} signed in from {address}", file=sys.stderr, flush=True)
        response = web.HTTPFound("/")
        response.set_cookie(COOKIE, session, httponly=True, secure=self.secure, samesite="Strict",
                            max_age=SESSION_HOURS * 3600)
        raise response
