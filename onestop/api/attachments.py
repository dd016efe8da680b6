"""A case's files as far as you may read them (a note's files follow the note), one file's
download, and a comment with files, as the case page sends one."""
from flask import jsonify, url_for
from flask_openapi3 import FileStorage, Tag
from pydantic import Field
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from onestop import lists, policy
from onestop.api import api, calls
from onestop.api.auth import caller
from onestop.api.calls import REPEATED, IdempotencyKey, multipart_body, multipart_form
from onestop.api.comments import comment_answer
from onestop.api.problems import CONFLICT_RESPONSE
from onestop.api.schemas import (
    COMMENT_MAX_CHARS,
    SOMETHING,
    AttachmentOut,
    AttachmentPage,
    AttachmentPath,
    Audience,
    CasePath,
    CommentOut,
    PageQuery,
    Strict,
)
from onestop.cases import services
from onestop.cases.models import Attachment, Case
from onestop.cases.queries import attachment_of
from onestop.cases.views import send_stored
from onestop.db import utcnow
from onestop.lists import Key
from onestop.storage import ALLOWED

ATTACHMENTS = Tag(name="attachments", description="Files on a case.")
OLDEST = (Key("id", Attachment.id),)


class CommentWithFiles(Strict):
    body: str = Field(min_length=1, max_length=COMMENT_MAX_CHARS, pattern=SOMETHING,
                      description="What the files are: the comment they come with.")
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
    return send_stored(attachment_of(user, case, path.attachment_id))


@api.post("/cases/<int:case_id>/attachments", tags=[ATTACHMENTS],
          responses={201: CommentOut, **CONFLICT_RESPONSE, **REPEATED},
          openapi_extensions=multipart_body(CommentWithFiles))
def add_files(path: CasePath, header: IdempotencyKey):
    """Send files with a comment saying what they are.

    multipart/form-data, as the case page sends them; a firm's files while the case waits on
    it answer and restart the clock."""
    user = caller()
    case = policy.load(user, Case, path.case_id)
    form = multipart_form(CommentWithFiles)
    submission = calls.claim(user, header)
    files = [(upload.filename or "", upload.read()) for upload in form.files]
    comment = services.add_comment(user, case, form.body, now=utcnow(), audience=form.audience,
                                   files=files)
    location = url_for("api.list_attachments", case_id=case.id)
    calls.landed(submission, location)
    return comment_answer(comment, location)
