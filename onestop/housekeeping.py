"""The hourly clear-up: what is kept only for a while, and stored files nothing points to."""
from datetime import datetime

from onestop.accounts.throttle import purge
from onestop.extensions import db
from onestop.submissions import services as submissions


def clear_up(now: datetime) -> dict[str, int]:
    """Sign-in throttle rows gone quiet, kept uploads after a day and old form tokens; then,
    once that is committed (so their files count as orphans), stored files no row points to.
    Returns what was removed."""
    counts = {"sign_in_rows_purged": purge(now), **submissions.expire(now=now)}
    db.session.commit()
    counts["orphan_files_removed"] = submissions.remove_orphan_files()
    return counts
