"""The API documentation at /schema: Swagger UI served from this project's static files, never from a CDN.

The assets are swagger-ui-dist, pinned and vendored under web/static/vendor/swagger-ui (see VERSION and SHA256SUMS
there); the page has no inline script (static/schema.js starts the UI), so its CSP allows scripts from 'self' only.
"""

from __future__ import annotations

import html
from typing import Any

from litestar import Request
from litestar.openapi.plugins import OpenAPIRenderPlugin

SWAGGER_UI = "/static/vendor/swagger-ui"

# Swagger UI sets element styles from JavaScript and its stylesheet has data: images; scripts only from here.
SCHEMA_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; "
    "object-src 'none'"
)


class LocalSwaggerUI(OpenAPIRenderPlugin):
    """Swagger UI at /schema (and /schema/swagger) with every asset from /static."""

    def __init__(self, path: str = "/swagger") -> None:
        super().__init__(path=path, favicon="", style="")

    def render(self, request: Request, openapi_schema: dict[str, Any]) -> bytes:
        title = html.escape(str(openapi_schema["info"]["title"]))
        url = html.escape(self.get_openapi_json_route(request))
        return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="{SWAGGER_UI}/swagger-ui.css">
</head>
<body>
<div id="swagger-ui" data-url="{url}"></div>
<script src="{SWAGGER_UI}/swagger-ui-bundle.js"></script>
<script src="/static/schema.js"></script>
</body>
</html>
""".encode()
