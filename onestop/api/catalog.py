"""Request types and organizations (their public part): what a request can be and who works
on it."""
from flask import jsonify
from flask_openapi3 import Tag
from sqlalchemy import select

from onestop.api import api
from onestop.api.schemas import OrganizationList, OrganizationOut, RequestTypeList, RequestTypeOut
from onestop.catalog.models import RequestType
from onestop.extensions import db
from onestop.orgs.models import Organization

CATALOG = Tag(name="catalog", description="What a request can be, and who works on it.")


@api.get("/request-types", tags=[CATALOG], responses={200: RequestTypeList})
def list_request_types():
    """The request types a firm can file, in the catalog's order."""
    types = db.session.scalars(select(RequestType).where(RequestType.is_active)
                               .order_by(RequestType.category, RequestType.id))
    return jsonify(RequestTypeList(items=[RequestTypeOut.model_validate(t, from_attributes=True)
                                          for t in types]).model_dump(mode="json"))


@api.get("/organizations", tags=[CATALOG], responses={200: OrganizationList})
def list_organizations():
    """The zone's organizations (the desk and the partners): names and kinds only."""
    orgs = db.session.scalars(select(Organization).where(Organization.is_active)
                              .order_by(Organization.id))
    return jsonify(OrganizationList(items=[OrganizationOut.model_validate(o, from_attributes=True)
                                           for o in orgs]).model_dump(mode="json"))
