"""Uploaded files: the one content check, and storage outside the web root that only a
committed transaction makes permanent."""
import hashlib
import io
import os
import secrets
import time
import unicodedata
import zipfile
import zlib
from collections.abc import Callable, Iterable
from pathlib import Path

from flask import current_app
from sqlalchemy.orm import Session

from onestop.db import after_commit
from onestop.errors import Invalid
from onestop.i18n import lazy_gettext as _l

_ZIP = b"PK\x03\x04"
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# A file is written as <key>.part and renamed to <key> once its row is committed.
PART = ".part"


def _pdf(data: bytes) -> bool:
    # The header, and the end-of-file marker a complete PDF carries in its last bytes.
    return data.startswith(b"%PDF-") and b"%%EOF" in data[-1024:]


def _zip_with(*members: str, mimetype: bytes | None = None) -> Callable[[bytes], bool]:
    """An OOXML or HWPX package: a readable ZIP with these members and a bounded size."""

    def check(data: bytes) -> bool:
        if not data.startswith(_ZIP):
            return False
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as package:
                names = set(package.namelist())
                if (not set(members) <= names or len(names) > 5000
                        or not _inflates_within_bound(package)):
                    return False
                if mimetype is not None:
                    with package.open("mimetype") as declared:
                        return declared.read(len(mimetype) + 2).strip() == mimetype
                return True
        except (zipfile.BadZipFile, zlib.error, EOFError, KeyError, NotImplementedError,
                RuntimeError, ValueError, OSError):
            return False

    return check


def _inflates_within_bound(package: zipfile.ZipFile) -> bool:
    """Inflate every member, counting: the sizes a ZIP declares can lie (a zip bomb)."""
    limit = current_app.config["MAX_UNCOMPRESSED_BYTES"]
    total = 0
    for info in package.infolist():
        with package.open(info) as member:
            while chunk := member.read(1 << 16):
                total += len(chunk)
                if total > limit:
                    return False
    return True


def _text(data: bytes) -> bool:
    head = data[:4096]
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as error:
        # The sample may end in the middle of a character.
        return error.start >= len(head) - 3
    return True


# extension -> (content type, check of the content)
ALLOWED: dict[str, tuple[str, Callable[[bytes], bool]]] = {
    "pdf": ("application/pdf", _pdf),
    "png": ("image/png", lambda data: data.startswith(b"\x89PNG\r\n\x1a\n")),
    "jpg": ("image/jpeg", lambda data: data.startswith(b"\xff\xd8\xff")),
    "jpeg": ("image/jpeg", lambda data: data.startswith(b"\xff\xd8\xff")),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document",
             _zip_with("[Content_Types].xml", "word/document.xml")),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
             _zip_with("[Content_Types].xml", "xl/workbook.xml")),
    "hwpx": ("application/hwp+zip", _zip_with("mimetype", "Contents/content.hpf",
                                                mimetype=b"application/hwp+zip")),
    "hwp": ("application/x-hwp", lambda data: data.startswith(_OLE)),
    "txt": ("text/plain", _text),
}


def clean_filename(filename: str) -> str:
    """The name to keep and show: no folders, no control or direction-changing characters
    (a name must not display as something it is not), at most 255 characters."""
    name = unicodedata.normalize("NFC", filename.replace("\\", "/")).rsplit("/", 1)[-1]
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C").strip().lstrip(".")
    if not name:
        return "file"
    stem, dot, extension = name.rpartition(".")
    if len(name) > 255 and dot:
        return stem[:254 - len(extension)] + "." + extension
    return name[:255]


def check_upload(filename: str, data: bytes) -> tuple[str, str]:
    """(clean name, content type) of an acceptable file, or Invalid saying what is wrong."""
    name = clean_filename(filename)
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
    if not looks_right(data):
        raise Invalid(_l("%(name)s is damaged or does not contain what its name says.",
                         name=name), field="files")
    return name, content_type


def upload_dir() -> Path:
    return Path(current_app.config["UPLOAD_DIR"])


def store_upload(session: Session, filename: str, data: bytes) -> dict:
    """Check and store one file; return the Attachment fields. The file becomes permanent
    when the session commits and is removed when it rolls back."""
    name, content_type = check_upload(filename, data)
    key = secrets.token_hex(16)
    (upload_dir() / (key + PART)).write_bytes(data)
    after_commit(session, _keep, [key], undone=_drop_parts)
    return {"filename": name, "content_type": content_type, "size": len(data),
            "sha256": hashlib.sha256(data).hexdigest(), "storage_key": key}


def read_stored(key: str) -> bytes:
    return (upload_dir() / key).read_bytes()


def discard_after_commit(session: Session, key: str) -> None:
    """Remove a stored file once the transaction that dropped its row has committed."""
    after_commit(session, _remove, [key])


def _keep(keys: list[str]) -> None:
    folder = upload_dir()
    for key in keys:
        os.replace(folder / (key + PART), folder / key)


def _drop_parts(keys: list[str]) -> None:
    for key in keys:
        (upload_dir() / (key + PART)).unlink(missing_ok=True)


def _remove(keys: list[str]) -> None:
    for key in keys:
        (upload_dir() / key).unlink(missing_ok=True)


def remove_orphans(keys_in_use: Iterable[str], *, older_than_seconds: float) -> int:
    """Delete stored files no row points to (a process killed mid-upload leaves them), and
    finish the rename of any whose row was committed just before a crash. Returns how many
    files were removed. Young files are left alone: their transaction may still be open."""
    in_use = set(keys_in_use)
    cutoff = time.time() - older_than_seconds
    removed = 0
    for path in upload_dir().iterdir():
        if not path.is_file() or path.stat().st_mtime > cutoff:
            continue
        key = path.name.removesuffix(PART)
        if key in in_use:
            if path.name.endswith(PART):
                os.replace(path, path.with_name(key))
            continue
        path.unlink(missing_ok=True)
        removed += 1
    return removed
