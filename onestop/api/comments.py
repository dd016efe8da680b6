"""A case's comments as far as you may read them (public ones, and the internal notes of
your audiences), oldest first, and writing one to an audience of yours."""
from flask import jsonify, url_for
from flask_openapi3 import Tag
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from onestop import lists, policy
from onestop.api import api
from onestop.api.auth import caller
from onestop.api.problems import CONFLICT_RESPONSE
from onestop.api.schemas import (
    CasePath,
    CommentOut,
    CommentPage,
    NewComment,
    PageQuery,
)
from onestop.cases import services
from onestop.cases.models import Attachment, Case, Comment
from onestop.db import utcnow
from onestop.extensions import db
from onestop.lists import Key

COMMENTS = Tag(name="comments", description="What is said on a case, to whom.")
OLDEST = (Key("created_at", Comment.created_at), Key("id", Comment.id))


def _out(comment: Comment) -> dict:
    return CommentOut.model_validate(comment, from_attributes=True).model_dump(mode="json")


def comment_answer(comment: Comment, location: str):
    """Commit the new comment and answer 201 with it."""
    db.session.commit()
    response = jsonify(_out(comment))
    response.status_code = 201
    response.headers["Location"] = location
    return response


@api.get("/cases/<int:case_id>/comments", tags=[COMMENTS], responses={200: CommentPage})
def list_comments(path: CasePath, query: PageQuery):
    """The case's comments you may read, oldest first."""
    user = caller()
    case = policy.load(user, Case, path.case_id)
    page = lists.page(select(Comment).where(Comment.case_id == case.id,
                                            policy.visible_comments(user))
                      .options(joinedload(Comment.author), selectinload(Comment.attachments)
                               .joinedload(Attachment.uploaded_by)), OLDEST, query.cursor, query.limit,
                      counted=False)
    return jsonify({"items": [_out(c) for c in page.items], "next_cursor": page.next_cursor})


@api.post("/cases/<int:case_id>/comments", tags=[COMMENTS],
          responses={201: CommentOut, **CONFLICT_RESPONSE})
def add_comment(path: CasePath, body: NewComment):
    """Write on the case to an audience of yours (a firm: public only), as its page does.

    A firm's comment while the case waits on it answers and restarts the clock."""
    user = caller()
    case = policy.load(user, Case, path.case_id)
    comment = services.add_comment(user, case, body.body, now=utcnow(), audience=body.audience)
    return comment_answer(comment, url_for("api.list_comments", case_id=case.id))
