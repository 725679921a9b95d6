"""The page's front-end assets, served read-only from this machine.

Solara answers ``/_solara/cdn/<path>`` through its asset proxy: a file that
the installed solara-assets package holds is sent, anything else is fetched
from a public CDN (four tries, about 7 s each) and written into the asset
directory, and a path naming one of that directory's *folders* is deleted
with ``shutil.rmtree`` (a clean-up for an old Windows layout, in solara
1.64's ``cdn_helper.get_path``).  Any web page open on a workshop laptop
could send such a GET with an ``<img>`` tag and leave the dashboard unable
to load offline.

:func:`serve_read_only` swaps that route for :class:`ReadOnlyAssets`: the
same files with the same caching and compression, looked up by Starlette's
own static-file lookup, which only reads.  A file is sent; a folder, a
missing file or a path outside the directory is a 404 at once; no request
goes out and nothing on disk changes.
"""

from __future__ import annotations

import os

from solara.server import settings
from solara.server.cdn_helper import cdn_url_path
from solara.server.starlette import StaticCdn
from solara.server.starlette import app as solara_app
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

#: Where Solara's page asks for its front-end assets.
ASSET_PATH = f"/{cdn_url_path}"


class ReadOnlyAssets(StaticCdn):
    """Solara's asset route with a lookup that never fetches, writes or deletes.

    Keeps :class:`~solara.server.starlette.StaticCdn`'s responses (gzip,
    ``immutable`` caching of exact-version URLs) and replaces only its lookup.
    """

    def lookup_path(self, path: str) -> tuple[str, os.stat_result | None]:
        return StaticFiles.lookup_path(self, path)


def serve_read_only() -> None:
    """Answer ``/_solara/cdn/...`` from the installed solara-assets files, read-only.

    Replaces the route in Solara's Starlette app; called when the dashboard
    module loads, which Solara does at server start-up, before the first
    request.  Without the asset proxy (``SOLARA_ASSETS_PROXY=False``) the page
    loads its assets from the CDN itself and the server has no such route.
    """
    routes = solara_app.router.routes
    for i, route in enumerate(routes):
        if (
            isinstance(route, Mount)
            and route.path == ASSET_PATH
            and not isinstance(route.app, ReadOnlyAssets)
        ):
            directory = settings.assets.proxy_cache_dir
            routes[i] = Mount(ASSET_PATH, app=ReadOnlyAssets(directory=directory))
