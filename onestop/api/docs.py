"""The OpenAPI document (generated from the API's models and routes) and a page that renders
it with Swagger UI, served from the installed package: no CDN."""
from pathlib import Path

import flask_openapi3_swagger
from flask import Blueprint, current_app, jsonify, render_template

SWAGGER = Path(flask_openapi3_swagger.__file__).parent / "templates" / "swagger"

bp = Blueprint("api_docs", __name__, url_prefix="/api/v1", static_folder=str(SWAGGER),
               static_url_path="/docs/static")
# OpenAPI links (what an answer lets a client call next), which flask-openapi3 does not
# declare: (path, method, status) -> {name: link}.
LINKS: dict[tuple[str, str, int], dict] = {}


def link(path: str, method: str, status: int, name: str, **spec) -> None:
    LINKS.setdefault(("/api/v1" + path, method, status), {})[name] = spec


@bp.get("/openapi.json")
def openapi():
    document = current_app.api_doc
    for (path, method, status), links in LINKS.items():
        document["paths"][path][method]["responses"][str(status)]["links"] = links
    return jsonify(document)


@bp.get("/docs")
def page():
    return render_template("api/docs.html")
