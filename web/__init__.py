"""The web layer of report-search: `create_app(config)` builds the Flask app over one opened index.

Config keys: INDEX_DIR (the index), BASE_URL (the public address absolute links are built from; never
the request's Host), ALLOWED_HOSTS (Host header values answered; others get 400). `report-search
serve` sets all three from its options.
"""

from __future__ import annotations

import contextlib
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from flask import Flask, g, jsonify, render_template, request
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

import search
from search import settings

from . import export, hosts
from .core import EXTENSION_KEY
from .params import ParamError

__all__ = ["create_app"]

# No inline script or style anywhere: templates load /static files only. SVG charts use attributes.
CSP = "; ".join((
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
))
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """The Flask app over the index in config["INDEX_DIR"]; raises search.IndexUnavailable if it cannot open."""
    app = Flask(__name__)
    app.config.update(INDEX_DIR=str(search.default_index_dir()), BASE_URL="http://localhost:5000", ALLOWED_HOSTS=None)
    app.config.update(config or {})
    app.json.ensure_ascii = False  # Chinese stays readable in the API's answers
    app.json.sort_keys = False
    # Werkzeug answers "//search" with a redirect to an absolute URL built from the Host header; a
    # doubled slash is simply not a route here (redirects stay relative, see _register_errors).
    app.url_map.merge_slashes = False
    # Opened once and shared: the searcher is thread-safe and follows new index generations itself.
    app.extensions[EXTENSION_KEY] = search.open_index(app.config["INDEX_DIR"])

    from . import api, pages, research, reuse

    hosts.init_app(app)
    export.init_app(app)
    app.register_blueprint(pages.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(export.bp)
    app.register_blueprint(research.bp)
    app.register_blueprint(reuse.bp)
    _register_errors(app)

    @app.before_request
    def one_index_version() -> None:
        # Every call a page makes (counts, facets, a page of rows, their texts) reads one generation,
        # even when a rebuild switches `current` halfway through the request.
        g.pinned = contextlib.ExitStack()
        g.pinned.enter_context(app.extensions[EXTENSION_KEY].backend.pin())

    @app.teardown_request
    def release_index_version(_exc: BaseException | None) -> None:
        pinned = g.pop("pinned", None)
        if pinned is not None:
            pinned.close()

    @app.after_request
    def relative_location(response: Response) -> Response:
        # Werkzeug's routing redirects (a slash added or removed) carry an absolute URL built from the
        # Host header, and Flask sends them without error handlers: keep only the path and query.
        location = response.headers.get("Location")
        if location:
            parts = urlsplit(location)
            if parts.scheme or parts.netloc:
                # one leading slash: "//host/…" would be a protocol-relative URL to another site
                path = "/" + parts.path.lstrip("/")
                response.headers["Location"] = urlunsplit(("", "", path, parts.query, parts.fragment))
        return response

    @app.after_request
    def security_headers(response: Response) -> Response:
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    return app


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def _box_query() -> str:
    """The query as typed, for the error page's box: a 400 must not lose what the user wrote."""
    q = (request.args.get("q") or "").strip()
    return q[: int(settings.get("max_q_chars"))]


def _error(status: int, title: str, message: str, param: str | None = None) -> tuple[Response | str, int]:
    if _wants_json():
        body: dict[str, Any] = {"error": message}
        if param is not None:
            body["param"] = param
        return jsonify(body), status
    from .params import SearchParams

    return render_template("error.html", status=status, title=title, message=message, param=param,
                           params=SearchParams(q=_box_query())), status


def _register_errors(app: Flask) -> None:
    @app.errorhandler(ParamError)
    def bad_param(exc: ParamError):  # noqa: ANN202
        return _error(400, "参数有误", exc.message, exc.param)

    @app.errorhandler(search.InvalidRequest)
    def invalid_request(exc: search.InvalidRequest):  # noqa: ANN202
        return _error(400, "参数有误", exc.message, exc.param)

    @app.errorhandler(hosts.HostNotAllowed)
    def host_not_allowed(exc: hosts.HostNotAllowed):  # noqa: ANN202
        # Plain text: the page must not render anything that depends on a host we do not serve.
        return Response("请求的主机名不在本服务允许的范围内（--allowed-hosts）。\n", 400,
                        mimetype="text/plain")

    @app.errorhandler(export.TooManyExports)
    def too_many_exports(exc: export.TooManyExports):  # noqa: ANN202
        response, status = _error(exc.code, "导出太多", exc.description)
        response = app.make_response((response, status))
        response.headers["Retry-After"] = "10"
        return response

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):  # noqa: ANN202
        titles = {404: "找不到页面", 405: "不支持的请求方法", 400: "请求有误"}
        default = {404: "您要找的页面或内容不存在。", 405: "此地址只接受 GET 请求。"}
        # Werkzeug's own English descriptions are replaced; our abort() calls pass Chinese ones.
        message = exc.description if exc.description and not exc.description.isascii() else None
        status = exc.code or 500
        return _error(status, titles.get(status, "出错了"), message or default.get(status, "请求无法完成。"))

    @app.errorhandler(search.BackendError)  # the index missing, or a shard of a cluster down or slow
    def backend_error(exc: search.BackendError):  # noqa: ANN202
        title = "部分检索节点没有回应，结果不完整，未显示" if exc.partial else "索引暂不可用"
        response, status = _error(503, title, exc.message)
        if _wants_json():
            response = jsonify({"error": exc.message, "partial": exc.partial})
        response = app.make_response((response, status))
        response.headers["Retry-After"] = "30"
        return response

    @app.errorhandler(500)
    def server_error(exc: Exception):  # noqa: ANN202
        return _error(500, "服务器出错", "服务器处理请求时出错，请稍后再试。")
