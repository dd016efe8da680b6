"""A case's files as far as you may read them (a note's files follow the note), one file's
download, and a comment with files, as the case page sends one."""
from typing import Annotated, Any

from flask import jsonify, request, url_for
from flask_openapi3 import FileStorage, Tag
from pydantic import Field, WithJsonSchema
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from onestop import lists, policy
from onestop.api import api
from onestop.api.auth import caller
from onestop.api.comments import comment_answer
from onestop.api.problems import CONFLICT_RESPONSE
from onestop.api.schemas import (
    COMMENT_MAX_CHARS,
    AttachmentOut,
    AttachmentPage,
    AttachmentPath,
    Audience,
    CasePath,
    CommentOut,
    NewComment,
    PageQuery,
    Strict,
)
from onestop.cases import services
from onestop.cases.models import Attachment, Case
from onestop.cases.views import send_stored
from onestop.db import utcnow
from onestop.errors import NotFound
from onestop.extensions import db
from onestop.lists import Key
from onestop.storage import ALLOWED

ATTACHMENTS = Tag(name="attachments", description="Files on a case.")
OLDEST = (Key("id", Attachment.id),)

# flask-openapi3 reads each form value as JSON when it parses ("007" becomes 7, '"hi"' becomes
# hi), so the model only documents the text; the view reads it as sent, through NewComment.
FormText = Annotated[Any, WithJsonSchema({"type": "string", "minLength": 1,
                                          "maxLength": COMMENT_MAX_CHARS})]


class CommentWithFiles(Strict):
    body: FormText = Field(description="What the files are: the comment they come with.")
    audience: Audience = "public"
    files: list[FileStorage] = Field(min_length=1, description="PDF, images, HWP, Word, Excel "
                                                               "or text; 10 MB each.")


def attachment_out(attachment: Attachment) -> dict:
    return AttachmentOut.model_validate(attachment, from_attributes=True).model_dump(mode="json")


@api.get("/cases/<int:case_id>/attachments", tags=[ATTACHMENTS],
         responses={200: AttachmentPage})
def list_attachments(path: CasePath, query: PageQuery):
    """The case's files you may download, oldest first."""
    user = caller()
    case = policy.load(user, Case, path.case_id)
    page = lists.page(select(Attachment).where(Attachment.case_id == case.id,
                                               policy.visible_attachments(user))
                      .options(joinedload(Attachment.uploaded_by)), OLDEST, query.cursor,
                      query.limit, counted=False)
    return jsonify({"items": [attachment_out(a) for a in page.items],
                    "next_cursor": page.next_cursor})


@api.get("/cases/<int:case_id>/attachments/<int:attachment_id>", tags=[ATTACHMENTS],
         responses={200: {"description": "The file, as it was uploaded.", "content": {
             kind: {"schema": {"type": "string", "format": "binary"}}
             for kind in sorted({kind for kind, _check in ALLOWED.values()})}}})
def download_attachment(path: AttachmentPath):
    """One file, as a download."""
    user = caller()
    case = policy.load(user, Case, path.case_id)
    attachment = db.session.scalar(select(Attachment).where(
        Attachment.id == path.attachment_id, Attachment.case_id == case.id,
        policy.visible_attachments(user)))
    if attachment is None:
        raise NotFound("not found")
    return send_stored(attachment)


@api.post("/cases/<int:case_id>/attachments", tags=[ATTACHMENTS],
          responses={201: CommentOut, **CONFLICT_RESPONSE})
def add_files(path: CasePath, form: CommentWithFiles):
    """Send files with a comment saying what they are (multipart/form-data), as the case
    page does; a firm's files while the case waits on it answer and restart the clock."""
    user = caller()
    case = policy.load(user, Case, path.case_id)
    text = NewComment(body=request.form.get("body", ""),
                      audience=request.form.get("audience", "public"))
    files = [(upload.filename or "", upload.read()) for upload in form.files]
    comment = services.add_comment(user, case, text.body, now=utcnow(), audience=text.audience,
                                   files=files)
    return comment_answer(comment, url_for("api.list_attachments", case_id=case.id))
