"""Claiming a form's one-time token; keeping a refused form's files; clearing up after both."""
from datetime import datetime, timedelta

from sqlalchemy import delete, select

from onestop.cases.models import Attachment
from onestop.commitments.models import CommitmentFile, ImportRun
from onestop.extensions import db
from onestop.storage import (
    check_upload,
    discard_after_commit,
    read_stored,
    remove_orphans,
    store_upload,
)
from onestop.submissions.models import PendingUpload, Submission

KEEP_UPLOADS_FOR = timedelta(days=1)
# What one user may have kept at a time; beyond it the oldest kept files go first.
KEPT_FILES_PER_USER = 10
KEPT_BYTES_PER_USER = 60 * 1024 * 1024
KEEP_TOKENS_FOR = timedelta(days=30)


def claim_token(user, token: str, *, now: datetime) -> Submission:
    """Claim a form's token in the current transaction. A second claim of the same token
    fails at flush with an IntegrityError (on PostgreSQL it first waits for the first
    claimant's transaction to end), so two submits of one form cannot both act."""
    submission = Submission(token=token, user_id=user.id, created_at=now)
    db.session.add(submission)
    db.session.flush()
    return submission


def release_token(user, token: str) -> None:
    """Let a claim go that never landed anywhere (its submit was refused after a service had
    committed along the way), so that the corrected form is not taken for a repeat."""
    db.session.execute(delete(Submission).where(
        Submission.user_id == user.id, Submission.token == token, Submission.landing == ""))


def first_landing(user, token: str) -> str | None:
    """Where the first submit of this token landed (None if it is not this user's)."""
    return db.session.scalar(select(Submission.landing).where(
        Submission.token == token, Submission.user_id == user.id))


def keep_uploads(user, files: list[tuple[str, bytes]], *, now: datetime) -> list[PendingUpload]:
    """Keep the acceptable files of a refused submit for this user (for a day), so the
    corrected form can send them without choosing them again. Unacceptable ones are
    dropped: the form's error names them."""
    kept = []
    for name, data in files:
        try:
            check_upload(name, data)
        except Exception:  # noqa: BLE001 - the same check already reported it on the form
            continue
        fields = store_upload(db.session, name, data)
        kept.append(PendingUpload(user_id=user.id, filename=fields["filename"],
                                  size=fields["size"], storage_key=fields["storage_key"],
                                  created_at=now))
    db.session.add_all(kept)
    db.session.flush()
    _within_the_users_share(user)
    return [upload for upload in kept if upload in db.session]


def _within_the_users_share(user) -> None:
    """Drop this user's oldest kept files beyond their share, so refused posts cannot fill
    the disk."""
    files = total = 0
    for upload in db.session.scalars(select(PendingUpload).where(
            PendingUpload.user_id == user.id).order_by(PendingUpload.id.desc())):
        files, total = files + 1, total + upload.size
        if files > KEPT_FILES_PER_USER or total > KEPT_BYTES_PER_USER:
            discard_after_commit(db.session, upload.storage_key)
            db.session.delete(upload)
    db.session.flush()


def kept_uploads(user, ids: list[int], *, now: datetime) -> list[PendingUpload]:
    """This user's unexpired kept uploads among ids (others are silently ignored)."""
    if not ids:
        return []
    return list(db.session.scalars(select(PendingUpload).where(
        PendingUpload.id.in_(ids), PendingUpload.user_id == user.id,
        PendingUpload.created_at > now - KEEP_UPLOADS_FOR).order_by(PendingUpload.id)))


def take_kept(uploads: list[PendingUpload]) -> list[tuple[str, bytes]]:
    """The kept files' names and contents; their rows go in this transaction, their files
    once it commits (the contents are stored again wherever the form puts them)."""
    files = []
    for upload in uploads:
        try:
            files.append((upload.filename, read_stored(upload.storage_key)))
        except FileNotFoundError:  # expired and cleared up a moment ago
            continue
        discard_after_commit(db.session, upload.storage_key)
        db.session.delete(upload)
    return files


def expire(*, now: datetime) -> dict[str, int]:
    """Housekeeping, first step: drop kept uploads after a day and old tokens."""
    expired = db.session.scalars(select(PendingUpload).where(
        PendingUpload.created_at <= now - KEEP_UPLOADS_FOR)).all()
    for upload in expired:
        discard_after_commit(db.session, upload.storage_key)
        db.session.delete(upload)
    tokens = db.session.execute(delete(Submission).where(
        Submission.created_at <= now - KEEP_TOKENS_FOR)).rowcount
    return {"kept_uploads_expired": len(expired), "tokens_purged": tokens}


def remove_orphan_files(*, older_than: timedelta = timedelta(hours=1)) -> int:
    """Housekeeping, second step (after the first has committed): stored files that no
    committed row points to."""
    in_use = set()
    for column in (Attachment.storage_key, PendingUpload.storage_key, ImportRun.storage_key,
                   CommitmentFile.storage_key):
        in_use |= set(db.session.scalars(select(column)))
    return remove_orphans(in_use, older_than_seconds=older_than.total_seconds())
