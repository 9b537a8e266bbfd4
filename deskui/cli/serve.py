"""`deskui serve`: the app (or the wallboard alone) in a browser, through textual-serve.

One process per browser session (textual-serve's model). The wallboard is read-only by
construction (deskui.tui.wallboard_app). Beyond loopback a viewer token is required for
the wallboard and TLS (--certfile/--keyfile) or an explicit --behind-proxy is required.
Imports textual-serve only when the command runs.
"""

from __future__ import annotations

import hmac
import ipaddress
import os
import shlex
import sys
from pathlib import Path

import typer

from deskui.cli import common

VIEWER_COOKIE = "deskui_viewer"
WALLBOARD_MAIN = "import sys; from deskui.launch import launch_wallboard; launch_wallboard(sys.argv[1])"
RECONNECT_JS = """
<script>
// deskui: when the server goes away (restart), poll it and reload the page once it answers.
(function () {
  function poll() {
    fetch(window.location.pathname, {method: "HEAD", cache: "no-store"})
      .then(function (r) { if (r.ok) { window.location.reload(); } else { setTimeout(poll, 2000); } })
      .catch(function () { setTimeout(poll, 2000); });
  }
  new MutationObserver(function () {
    if (document.body.classList.contains("-closed") && !window.__deskuiPolling) {
      window.__deskuiPolling = true; setTimeout(poll, 1000);
    }
  }).observe(document.body, {attributes: true, attributeFilter: ["class"]});
})();
</script>
"""


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def register(app: typer.Typer, make) -> None:
    app.command("serve")(serve)


def serve(
    wallboard: bool = typer.Option(False, "--wallboard", help="Serve the read-only wallboard alone."),
    host: str = typer.Option("127.0.0.1", "--host", help="Address to bind (beyond loopback: TLS and a token)."),
    port: int = typer.Option(8000, "--port", min=1, max=65535),
    certfile: Path | None = typer.Option(None, "--certfile", help="TLS certificate (PEM)."),
    keyfile: Path | None = typer.Option(None, "--keyfile", help="TLS private key (PEM)."),
    behind_proxy: bool = typer.Option(False, "--behind-proxy",
                                      help="TLS is done by a reverse proxy in front of this server."),
    require_signin: bool = typer.Option(False, "--require-signin",
                                        help="Ask for sign-in on loopback too (it is always asked elsewhere)."),
    viewer_token_env: str = typer.Option("DESKUI_VIEWER_TOKEN", "--viewer-token-env",
                                         help="Environment variable holding the shared wallboard token."),
) -> None:
    """Serve deskui to a browser (`--wallboard`: the wallboard alone, read-only)."""
    settings = common.settings()
    common.get_engine()  # a database that cannot be used is one line now, not per session
    if (certfile is None) != (keyfile is None):
        raise typer.BadParameter("--certfile and --keyfile go together")
    viewer_token = os.environ.get(viewer_token_env, "")
    loopback = is_loopback(host)
    if not loopback:
        if certfile is None and not behind_proxy:
            raise common_error(f"refusing to serve on {host} without TLS: give --certfile/--keyfile "
                               "or --behind-proxy (a TLS reverse proxy)")
        if wallboard and len(viewer_token) < 16:
            raise common_error(f"refusing to serve the wallboard on {host} without a viewer token: "
                               f"set {viewer_token_env} (16 characters or more)")
    if wallboard:
        command = shlex.join([sys.executable, "-c", WALLBOARD_MAIN, settings.db_url])
    else:
        user = ["--as", settings.user] if settings.user else []
        command = shlex.join([sys.executable, "-m", "deskui", "--db", settings.db_url, *user])
    signin = None
    if not wallboard and (require_signin or not loopback):
        from deskui.cli.serve_signin import SignIn

        signin = SignIn(common.get_engine(), settings.db_url, secure=bool(certfile or behind_proxy))
    server = make_server(command, host=host, port=port, certfile=certfile, keyfile=keyfile, signin=signin,
                         viewer_token=None if loopback or not wallboard else viewer_token,
                         title="deskui wallboard" if wallboard else "deskui")
    server.serve()


def common_error(message: str) -> typer.Exit:
    typer.echo(f"deskui: error: {message}", err=True)
    return typer.Exit(1)


def make_server(command: str, *, host: str, port: int, certfile=None, keyfile=None,
                viewer_token: str | None = None, title: str = "deskui", signin=None):
    """A textual-serve Server with deskui's additions: a reconnecting page, TLS, a viewer token."""
    import ssl

    import asyncio

    from aiohttp import web
    from textual_serve.server import Server

    scheme = "https" if certfile else "http"

    class DeskServer(Server):
        async def _make_app(self) -> web.Application:
            app = await super()._make_app()
            if viewer_token:
                app.middlewares.append(self._viewer_token)
            app.middlewares.append(self._add_reconnect)
            if signin is not None:
                signin.install(app, web)
            return app

        async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
            """textual-serve's handler, with the session's own command: signed in, the app
            runs as that analyst (--as), never as the user running the server."""
            from textual_serve.app_service import AppService
            from textual_serve.server import to_int

            command = self.command
            if signin is not None:
                user = signin.user_of(request)
                if user is None:
                    return web.Response(status=403, text="deskui: sign in first\n")
                command = signin.command_for(user)
            websocket = web.WebSocketResponse(heartbeat=15)
            width = to_int(request.query.get("width", "80"), 80)
            height = to_int(request.query.get("height", "24"), 24)
            try:
                await websocket.prepare(request)
                service = AppService(command, write_bytes=websocket.send_bytes, write_str=websocket.send_str,
                                     close=websocket.close, download_manager=self.download_manager,
                                     debug=self.debug)
                await service.start(width, height)
                try:
                    await self._process_messages(websocket, service)
                finally:
                    await service.stop()
            except asyncio.CancelledError:
                await websocket.close()
            return websocket

        @web.middleware
        async def _viewer_token(self, request: web.Request, handler):
            given = request.query.get("token") or request.cookies.get(VIEWER_COOKIE, "")
            if not hmac.compare_digest(given.encode(), viewer_token.encode()):
                print(f"deskui serve: refused wallboard viewer from {request.remote}", file=sys.stderr)
                return web.Response(status=403, text="deskui: a viewer token is needed (?token=...)\n")
            response = await handler(request)
            if "token" in request.query and isinstance(response, web.Response):
                response.set_cookie(VIEWER_COOKIE, viewer_token, httponly=True, secure=bool(certfile),
                                    samesite="Strict")
            return response

        @web.middleware
        async def _add_reconnect(self, request: web.Request, handler):
            response = await handler(request)
            if request.path == "/" and isinstance(response, web.Response) and response.text \
                    and "</body>" in response.text:
                response.text = response.text.replace("</body>", RECONNECT_JS + "</body>", 1)
            return response

        def serve(self, debug: bool = False) -> None:
            """textual-serve's serve(), with deskui's TLS context (it passes none)."""
            import asyncio
            import signal

            context = None
            if certfile:
                context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
                context.load_cert_chain(str(certfile), str(keyfile))
            self.debug = debug
            self.initialize_logging()
            loop = asyncio.new_event_loop()
            asyncio.set_event_loop(loop)
            for sig in (signal.SIGINT, signal.SIGTERM):
                try:
                    loop.add_signal_handler(sig, self.request_exit)
                except NotImplementedError:
                    pass
            web.run_app(self._make_app(), host=self.host, port=self.port, handle_signals=False, loop=loop,
                        ssl_context=context, print=lambda *args: None)

    return DeskServer(command, host=host, port=port, title=title, public_url=f"{scheme}://{host}:{port}")
