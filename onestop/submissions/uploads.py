"""The files of one submitted form: those chosen now and those kept from a refused try."""
from datetime import datetime

from onestop.extensions import db
from onestop.submissions.models import PendingUpload
from onestop.submissions.services import keep_uploads, kept_uploads, take_kept


class FormFiles:
    """form.files (new) and form.kept (ids of this user's kept uploads, ticked to send)."""

    def __init__(self, form, user, *, now: datetime) -> None:
        self.user, self.now, self.form = user, now, form
        self.new = [(f.filename, f.read()) for f in (form.files.data or []) if f and f.filename]
        self.kept = kept_uploads(user, form.kept.data or [], now=now)

    def take(self) -> list[tuple[str, bytes]]:
        """Everything to attach, for the service call; kept uploads are used up with it
        (undone with the transaction when the service refuses)."""
        return self.new + take_kept(self.kept)

    def keep(self) -> list[PendingUpload]:
        """After a refused submit: keep the new acceptable files too, and list every kept
        file on the form again, ticked, so the next submit sends them. Commits."""
        self.kept = [*self.kept, *keep_uploads(self.user, self.new, now=self.now)]
        self.kept = [upload for upload in self.kept if upload in db.session]
        db.session.commit()
        self.form.kept.choices = [(u.id, u.filename) for u in self.kept]
        self.form.kept.data = [u.id for u in self.kept]
        return self.kept
