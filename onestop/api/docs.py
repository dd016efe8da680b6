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


def item_links(collection: str, param: str, read: str, writes: tuple[str, ...]) -> None:
    """A collection's links: from a page to its first item, from an item to each write on it
    (with its ETag for If-Match)."""
    item = f"{collection}/{{{param}}}"
    link(collection, "get", 200, "ReadTheFirst", operationId=read,
         parameters={param: "$response.body#/items/0/id"})
    for write in writes:
        link(item, "get", 200, write, operationId=write, parameters={
            param: "$response.body#/id", "header.If-Match": "$response.header.ETag"})


@bp.get("/openapi.json")
def openapi():
    document = current_app.api_doc
    for (path, method, status), links in LINKS.items():
        document["paths"][path][method]["responses"][str(status)]["links"] = links
    return jsonify(document)


@bp.get("/docs")
def page():
    return render_template("api/docs.html")
