"""The web layer of report-search: `create_app(config)` builds the Flask app over one opened index."""

from __future__ import annotations

from typing import Any

from flask import Flask, jsonify, render_template, request
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

import search

from .core import EXTENSION_KEY, absolute, citation, place, value_label
from .params import FACET_LABELS, SORT_LABELS, ParamError

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
    app.config.update(INDEX_DIR=str(search.default_index_dir()))
    app.config.update(config or {})
    app.json.ensure_ascii = False  # Chinese stays readable in the API's answers
    app.json.sort_keys = False
    # Opened once and shared: the searcher is thread-safe and follows new index generations itself.
    app.extensions[EXTENSION_KEY] = search.open_index(app.config["INDEX_DIR"])

    from . import api, export, pages, reuse

    app.register_blueprint(pages.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(export.bp)
    app.register_blueprint(reuse.bp)
    app.jinja_env.globals.update(
        facet_labels=FACET_LABELS, sort_labels=SORT_LABELS, place=place, citation=citation,
        absolute=absolute, value_label=value_label,
    )
    _register_errors(app)

    @app.after_request
    def security_headers(response: Response) -> Response:
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    return app


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def _error(status: int, title: str, message: str, param: str | None = None) -> tuple[Response | str, int]:
    if _wants_json():
        body: dict[str, Any] = {"error": message}
        if param is not None:
            body["param"] = param
        return jsonify(body), status
    return render_template("error.html", status=status, title=title, message=message, param=param), status


def _register_errors(app: Flask) -> None:
    @app.errorhandler(ParamError)
    def bad_param(exc: ParamError):  # noqa: ANN202
        return _error(400, "参数有误", exc.message, exc.param)

    @app.errorhandler(search.InvalidRequest)
    def invalid_request(exc: search.InvalidRequest):  # noqa: ANN202
        return _error(400, "参数有误", exc.message, exc.param)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):  # noqa: ANN202
        titles = {404: "找不到页面", 405: "不支持的请求方法", 400: "请求有误"}
        default = {404: "您要找的页面或内容不存在。", 405: "此地址只接受 GET 请求。"}
        # Werkzeug's own English descriptions are replaced; our abort() calls pass Chinese ones.
        message = exc.description if exc.description and not exc.description.isascii() else None
        status = exc.code or 500
        return _error(status, titles.get(status, "出错了"), message or default.get(status, "请求无法完成。"))

    @app.errorhandler(search.IndexUnavailable)
    def index_unavailable(exc: search.IndexUnavailable):  # noqa: ANN202
        return _error(503, "索引暂不可用", str(exc))

    @app.errorhandler(500)
    def server_error(exc: Exception):  # noqa: ANN202
        return _error(500, "服务器出错", "服务器处理请求时出错，请稍后再试。")
