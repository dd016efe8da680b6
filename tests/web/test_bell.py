"""The bell counts a user's unread notifications no further than BELL_CAP: past it, "99+"."""
import re

from onestop.extensions import db
from onestop.notifications.models import Notification
from onestop.notifications.services import BELL_CAP
from tests.factories import NOW


def bell(page: str) -> tuple[str, str]:
    """The bell's label for a screen reader and the number it shows ("" when none)."""
    found = re.search(r'<a class="bell"[^>]*aria-label="([^"]*)">(.*?)</a>', page, re.S)
    shown = re.search(r'<span class="count">([^<]*)</span>', found.group(2))
    return found.group(1), shown.group(1) if shown else ""


def notify(user, n: int, start: int = 0, *, read: bool = False) -> None:
    db.session.add_all(Notification(key=f"bell-{start + i}", user_id=user.id, kind="task_due",
                                    created_at=NOW, read_at=NOW if read else None)
                       for i in range(n))
    db.session.commit()


def test_the_bell_counts_to_its_cap_then_shows_more(browser, world):
    staff = browser("staff@union.test")
    assert bell(staff.get("/account").get_data(as_text=True)) == ("알림", "")
    notify(world.union_staff, 3, read=True)
    notify(world.union_staff, BELL_CAP, start=3)
    label, shown = bell(staff.get("/account").get_data(as_text=True))
    assert shown == str(BELL_CAP) and label == f"알림: 읽지 않은 알림 {BELL_CAP}건"
    notify(world.union_staff, 1, start=3 + BELL_CAP)
    label, shown = bell(staff.get("/account").get_data(as_text=True))
    assert shown == f"{BELL_CAP}+" and label == f"알림: 읽지 않은 알림 {BELL_CAP}건 초과"
