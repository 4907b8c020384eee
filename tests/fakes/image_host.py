"""A web server holding images somewhere other than the model server, as a cloud bucket would:
a real PNG, a redirect to it, and a page that is not an image. It records every path asked for."""

from __future__ import annotations

from aiohttp import web

from tests.fakes.loopback import LoopbackServer, Served
from tests.fakes.png import make_png

PNG_PATH = "/image.png"
REDIRECT_PATH = "/moved.png"
PAGE_PATH = "/page.png"


class ImageHost(Served):
    """Serves on ``host`` (any loopback address, e.g. 127.0.0.2 to stand for a private one)."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.png = make_png(11)
        self.paths: list[str] = []
        app = web.Application()
        app.router.add_get("/{name}", self._serve)
        self._server = LoopbackServer(app, host)

    def url(self, path: str) -> str:
        return f"{self._server.root_url}{path}"

    async def start(self) -> None:
        await self._server.start()

    async def stop(self) -> None:
        await self._server.stop()

    async def _serve(self, request: web.Request) -> web.Response:
        self.paths.append(request.path)
        if request.path == REDIRECT_PATH:
            raise web.HTTPFound(PNG_PATH)
        if request.path == PAGE_PATH:
            return web.Response(text="<html>Not an image</html>", content_type="text/html")
        return web.Response(body=self.png, content_type="image/png")
