"""Uploaded files: content checks and storage outside the web root, undone on rollback."""
import hashlib
import os
import secrets
from pathlib import Path

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import event
from sqlalchemy.orm import Session

from onestop.errors import Invalid

# extension -> (content type, check of the first bytes)
_ZIP = b"PK\x03\x04"
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ALLOWED = {
    "pdf": ("application/pdf", lambda head: head.startswith(b"%PDF-")),
    "png": ("image/png", lambda head: head.startswith(b"\x89PNG\r\n\x1a\n")),
    "jpg": ("image/jpeg", lambda head: head.startswith(b"\xff\xd8\xff")),
    "jpeg": ("image/jpeg", lambda head: head.startswith(b"\xff\xd8\xff")),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document",
             lambda head: head.startswith(_ZIP)),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
             lambda head: head.startswith(_ZIP)),
    "hwpx": ("application/hwp+zip", lambda head: head.startswith(_ZIP)),
    "hwp": ("application/x-hwp", lambda head: head.startswith(_OLE)),
    "txt": ("text/plain", lambda head: _is_text(head)),
}


def _is_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as error:
        # The sample may end in the middle of a character.
        return error.start >= len(head) - 3
    return True


def upload_dir() -> Path:
    return Path(current_app.config["UPLOAD_DIR"])


def store_upload(session: Session, filename: str, data: bytes) -> dict:
    """Check and store one file; return the Attachment fields. Removed again on rollback."""
    name = os.path.basename(filename.replace("\\", "/")).strip() or "file"
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension not in ALLOWED:
        raise Invalid(_l("%(name)s: this kind of file is not accepted (PDF, images, "
                         "HWP, Word, Excel or text).", name=name), field="files")
    if not data:
        raise Invalid(_l("%(name)s is empty.", name=name), field="files")
    limit = current_app.config["MAX_ATTACHMENT_BYTES"]
    if len(data) > limit:
        raise Invalid(_l("%(name)s is larger than %(mb)d MB.", name=name,
                         mb=limit // (1024 * 1024)), field="files")
    content_type, looks_right = ALLOWED[extension]
    if not looks_right(data[:2048]):
        raise Invalid(_l("%(name)s does not contain what its name says.", name=name),
                      field="files")
    key = secrets.token_hex(16)
    path = upload_dir() / key
    path.write_bytes(data)
    session.info.setdefault("new_files", []).append(path)
    return {"filename": name[:255], "content_type": content_type, "size": len(data),
            "sha256": hashlib.sha256(data).hexdigest(), "storage_key": key}


@event.listens_for(Session, "after_commit")
def _keep_files(session: Session) -> None:
    session.info.pop("new_files", None)


@event.listens_for(Session, "after_soft_rollback")
def _drop_files(session: Session, previous_transaction) -> None:
    for path in session.info.pop("new_files", []):
        Path(path).unlink(missing_ok=True)
