"""Nothing typed is lost: a refused submit comes back filled in, with its files kept."""
import io
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from onestop.admin import services as admin
from onestop.cases.models import Attachment, Case
from onestop.db import utcnow
from onestop.deadlines import SEOUL
from onestop.extensions import db
from onestop.storage import upload_dir
from onestop.submissions import services as submissions
from onestop.submissions.models import PendingUpload
from tests.factories import PDF
from tests.web.helpers import latest_case, task_for, version_of
from tests.web.test_journeys import routed_to_union

MB = 1024 * 1024


def scan(megabytes: float) -> bytes:
    """A PDF of about this size, complete with its end-of-file marker."""
    return b"%PDF-1.4\n" + b"0" * int(megabytes * MB) + b"\n%%EOF\n"


def edit_permit_type(world, *, checklist: str,
                     form_fields: str = "floor_area | 연면적 | Floor area | required") -> None:
    """An admin edits the building-permit type's checklist or fields."""
    admin.save_request_type(world.admin, world.permit_type, code="building-permit",
                            name="건축 허가", name_en="Building permit", category="permit",
                            period="10d", checklist=checklist, form_fields=form_fields,
                            partners=[world.permits], is_active=True)
    db.session.commit()


def count(model, *where) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_two_seven_megabyte_scans_file(browser, world):
    firm = browser("ceo@beta.test")
    response = firm.post(f"/cases/new/{world.hiring_type.id}", {
        "title": "Two scans", "description": "d", "priority": "normal",
        "files": [(io.BytesIO(scan(7)), "scan-1.pdf"), (io.BytesIO(scan(7)), "scan-2.pdf")]})
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    assert sorted(a.filename for a in latest_case().attachments) == ["scan-1.pdf", "scan-2.pdf"]


def test_the_form_states_the_limits_the_browser_checks(browser, world):
    page = browser("ceo@beta.test").get(f"/cases/new/{world.hiring_type.id}").get_data(
        as_text=True)
    assert f'data-max-bytes="{10 * MB}"' in page and 'data-max-files="5"' in page
    assert "10 MB" in page and "forms.js" in page


def test_a_file_over_the_limit_comes_back_with_the_text_and_the_good_file_kept(browser, world):
    firm = browser("ceo@beta.test")
    response = firm.post(f"/cases/new/{world.hiring_type.id}", {
        "title": "Big scan", "description": "A long explanation of the site",
        "priority": "normal",
        "files": [(io.BytesIO(PDF), "plan.pdf"), (io.BytesIO(scan(11)), "huge.pdf")]})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "huge.pdf" in page and "10 MB" in page, "the error names the file and the limit"
    assert 'value="Big scan"' in page and "A long explanation of the site" in page
    kept = db.session.scalars(select(PendingUpload)).all()
    assert [k.filename for k in kept] == ["plan.pdf"], "the acceptable file is kept"
    kept_key = kept[0].storage_key
    assert f'name="kept" value="{kept[0].id}" checked' in page
    assert count(Case) == 0

    token = re.search(r'name="once" type="hidden" value="([^"]+)"', page).group(1)
    again = firm.post(f"/cases/new/{world.hiring_type.id}", {
        "title": "Big scan", "description": "A long explanation of the site",
        "priority": "normal", "kept": [str(kept[0].id)], "once": token})
    assert again.status_code == 303
    case = latest_case()
    assert [a.filename for a in case.attachments] == ["plan.pdf"]
    assert (upload_dir() / case.attachments[0].storage_key).read_bytes() == PDF
    assert count(PendingUpload) == 0, "a kept upload is used once"
    assert not (upload_dir() / kept_key).exists()


def test_someone_elses_kept_upload_cannot_be_attached(browser, world):
    firm_b = browser("ceo@beta.test")
    firm_b.post(f"/cases/new/{world.hiring_type.id}", {
        "title": "", "description": "d", "priority": "normal",
        "files": [(io.BytesIO(PDF), "secret.pdf")]})
    kept = db.session.scalars(select(PendingUpload)).one()
    firm_a = browser("ceo@alpha.test")
    assert firm_a.post(f"/cases/new/{world.hiring_type.id}", {
        "title": "Mine", "description": "d", "priority": "normal",
        "kept": [str(kept.id)]}).status_code == 303
    assert latest_case().attachments == []
    assert count(PendingUpload) == 1


def test_kept_uploads_expire_after_a_day_and_orphan_files_go(ctx, world):
    keep = submissions.keep_uploads(world.firm_a_user, [("a.pdf", PDF)],
                                    now=utcnow() - timedelta(days=2))
    db.session.commit()
    stored = upload_dir() / keep[0].storage_key
    assert stored.exists()
    orphan = upload_dir() / ("0" * 32)
    orphan.write_bytes(b"left by a process killed mid-upload")
    half = upload_dir() / ("f" * 32 + ".part")
    half.write_bytes(b"never committed")
    young = upload_dir() / ("e" * 32 + ".part")
    young.write_bytes(b"a transaction still open")
    assert submissions.expire(now=utcnow()) == {"kept_uploads_expired": 1, "tokens_purged": 0}
    db.session.commit()
    assert not stored.exists() and count(PendingUpload) == 0
    removed = submissions.remove_orphan_files(older_than=timedelta(seconds=-1))
    assert removed == 3 and not orphan.exists() and not half.exists()
    young.write_bytes(b"again")
    assert submissions.remove_orphan_files() == 0 and young.exists(), "young files wait"


def test_an_upload_killed_before_commit_leaves_no_permanent_file(ctx, world):
    from onestop.cases import services as cases

    case = cases.file_case(world.firm_a_user, world.hiring_type, title="t", description="d",
                           priority="normal", form_data={}, checked_items=[],
                           files=[("a.pdf", PDF)], now=utcnow())
    key = case.attachments[0].storage_key
    assert (upload_dir() / (key + ".part")).exists() and not (upload_dir() / key).exists()
    db.session.commit()
    assert (upload_dir() / key).exists() and not (upload_dir() / (key + ".part")).exists()


def test_a_request_over_the_size_limit_says_so_and_leads_back_to_the_form(browser, world, app):
    firm = browser("ceo@beta.test")
    form_url = f"http://onestop.test/cases/new/{world.hiring_type.id}"
    response = firm.post(f"/cases/new/{world.hiring_type.id}", {
        "title": "x", "description": "y", "priority": "normal",
        "files": [(io.BytesIO(scan(9.9)), f"part-{n}.pdf") for n in range(6)]},
        headers={"Referer": form_url})
    assert response.status_code == 413
    page = response.get_data(as_text=True)
    assert "10 MB" in page and "5" in page
    assert f'href="/cases/new/{world.hiring_type.id}"' in page, "a way back to the form"
    assert count(Case) == 0


@pytest.mark.parametrize("ended", ["idle", "gone"])
def test_a_post_after_the_session_ended_leads_to_sign_in_and_back(app, browser, world, ended):
    firm = browser("ceo@beta.test")
    firm.get(f"/cases/new/{world.hiring_type.id}")
    with firm.client.session_transaction() as session:
        if ended == "idle":  # the idle timeout: the session is there, its clock too old
            session["seen_at"] -= 3 * 3600
        else:  # the session no longer names a user; its CSRF token is still there
            session.pop("_user_id")
    response = firm.post(f"/cases/new/{world.hiring_type.id}", {
        "title": "Typed for an hour", "description": "d", "priority": "normal",
        "files": [(io.BytesIO(PDF), "plan.pdf")]},
        headers={"Referer": f"http://onestop.test/cases/new/{world.hiring_type.id}"})
    assert response.status_code == 303
    location = response.headers["Location"]
    assert location == f"/login?next=/cases/new/{world.hiring_type.id}"
    page = firm.get(location).get_data(as_text=True)
    assert "flash info" in page and "plan.pdf" in page, "the files to choose again are named"
    assert firm.post(location, {"email": "ceo@beta.test", "password": "test-pass-2026"}) \
        .headers["Location"] == f"/cases/new/{world.hiring_type.id}", "back to the form"
    assert count(Case) == 0


def test_a_form_from_a_tab_signed_out_elsewhere_says_what_happened(browser, world):
    here = browser("ceo@beta.test")
    here.get(f"/cases/new/{world.hiring_type.id}")
    with here.client.session_transaction() as session:
        session.clear()  # signed out in another tab of the same browser
    response = here.post(f"/cases/new/{world.hiring_type.id}", {
        "title": "x", "description": "y", "priority": "normal",
        "files": [(io.BytesIO(PDF), "plan.pdf")]},
        headers={"Referer": f"http://onestop.test/cases/new/{world.hiring_type.id}"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert f'href="/login?next=/cases/new/{world.hiring_type.id}"' in page, \
        "sign in, then back to the form"
    assert "plan.pdf" in page, "the files to choose again are named"


def test_a_stale_save_is_409_with_the_typed_text_and_what_changed(browser, world):
    case, _desk = routed_to_union(browser, world, "Hire 8")
    task = task_for(case, world.union)
    first, second = browser("desk@test.example"), browser("admin@test.example")
    stale = second.get(f"/tasks/{task.id}").get_data(as_text=True)
    in_30 = (utcnow() + timedelta(days=30)).astimezone(SEOUL).strftime("%Y-%m-%dT18:00")
    in_40 = (utcnow() + timedelta(days=40)).astimezone(SEOUL).strftime("%Y-%m-%dT18:00")
    assert first.submit(f"/tasks/{task.id}", "due", {"due_at": in_30,
                                                      "due_reason": "site visit"}).status_code == 303
    response = second.post(f"/tasks/{task.id}/due", {
        "version": version_of(stale, "due"), "seen": re.search(
            r'name="seen" type="hidden" value="(\d+)"', stale).group(1),
        "due_at": in_40, "due_reason": "a reason typed with care"})
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert 'id="changed-meanwhile"' in page and "site visit" in page, "what changed is shown"
    assert 'value="a reason typed with care"' in page, "the typed text is kept"
    assert task_for(case, world.union).due_override_reason == "site visit"

    # From the 409 page every form is based on the current state, each with its own token,
    # so sending the kept text again is judged afresh.
    current = str(task_for(case, world.union).version)
    assert version_of(page, "due") == version_of(page, "assign") == current
    tokens = re.findall(r'name="once" type="hidden" value="([^"]+)"', page)
    assert len(tokens) == len(set(tokens)), "no two forms share a token"
    due_form = re.search(r'<form[^>]+action="[^"]*/due"(.*?)</form>', page, re.S).group(1)
    again = second.post(f"/tasks/{task.id}/due", {
        "version": current, "due_at": in_40, "due_reason": "a reason typed with care",
        "once": re.search(r'name="once" type="hidden" value="([^"]+)"', due_form).group(1),
        "seen": re.search(r'name="seen" type="hidden" value="(\d+)"', due_form).group(1)})
    assert again.status_code == 303
    assert task_for(case, world.union).due_override_reason == "a reason typed with care"


def test_a_refused_action_is_409_not_a_silent_redirect(browser, world):
    case, desk = routed_to_union(browser, world, "Hire 9")
    firm = browser("ceo@beta.test")
    page = firm.get(f"/cases/{case.id}").get_data(as_text=True)
    desk.get(f"/cases/{case.id}")
    browser("staff@union.test").submit(f"/tasks/{task_for(case, world.union).id}", "decline",
                                       {"reason": "not ours"})
    desk.submit(f"/cases/{case.id}", "resolve")
    assert latest_case().status == "resolved"
    response = firm.post(f"/cases/{case.id}/withdraw", {
        "version": version_of(page, "withdraw"), "reason": "we hire ourselves"})
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    unsent = re.search(r'<div class="callout" id="unsent">(.*?)</div>', page, re.S)
    assert unsent and "we hire ourselves" in unsent.group(1), "kept to copy, not silently lost"


def test_changing_a_checklist_never_rewrites_past_cases(browser, world):
    firm = browser("ceo@alpha.test")
    firm.post(f"/cases/new/{world.permit_type.id}", {
        "title": "Plant", "description": "d", "priority": "normal", "field_floor_area": "900",
        "checklist": ["1"]})
    case = latest_case()
    assert [(i["en"], i["done"]) for i in case.checklist] == [("Drawings", False), ("Form", True)]
    edit_permit_type(world, checklist="위임장 | Power of attorney\n설계도서 | Drawings\n"
                                      "신청서 | Form")
    page = firm.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "Power of attorney" not in page and "위임장" not in page
    assert [(i["en"], i["done"]) for i in latest_case().checklist] == [("Drawings", False),
                                                                      ("Form", True)]


def test_a_checklist_changed_while_filling_is_offered_again(browser, world):
    firm = browser("ceo@alpha.test")
    page = firm.get(f"/cases/new/{world.permit_type.id}").get_data(as_text=True)
    offered = re.search(r'name="offered_checklist" type="hidden" value="([^"]+)"', page).group(1)
    edit_permit_type(world, checklist="위임장 | Power of attorney\n설계도서 | Drawings\n"
                                      "신청서 | Form")
    response = firm.post(f"/cases/new/{world.permit_type.id}", {
        "title": "Plant", "description": "kept words", "priority": "normal",
        "field_floor_area": "900", "checklist": ["0", "1"], "offered_checklist": offered})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "위임장" in page and "kept words" in page
    assert 'name="checklist" type="checkbox" value="0" checked' not in page, "ticks cleared"
    assert count(Case) == 0


def test_numbers_accept_grouping_and_refuse_the_rest(browser, world):
    edit_permit_type(world, checklist="",
                     form_fields="floor_area | 연면적 | Floor area | required number unit=㎡")
    firm = browser("ceo@alpha.test")
    page = firm.get(f"/cases/new/{world.permit_type.id}").get_data(as_text=True)
    assert "㎡" in page and 'inputmode="decimal"' in page
    for typed in ("-5", "lots", "12,50"):
        response = firm.post(f"/cases/new/{world.permit_type.id}", {
            "title": "Plant", "description": "d", "priority": "normal",
            "field_floor_area": typed})
        assert response.status_code == 422, typed
        assert 'id="field_floor_area-error"' in response.get_data(as_text=True)
    assert firm.post(f"/cases/new/{world.permit_type.id}", {
        "title": "Plant", "description": "d", "priority": "normal",
        "field_floor_area": "12,500"}).status_code == 303
    assert latest_case().form_data == {"floor_area": "12500"}


def test_attachments_of_a_refused_comment_are_kept(browser, world):
    case, _desk = routed_to_union(browser, world, "Hire 10")
    firm = browser("ceo@beta.test")
    response = firm.post(f"/cases/{case.id}/comments", {
        "body": "", "files": [(io.BytesIO(PDF), "answer.pdf")]})
    assert response.status_code == 422
    assert "answer.pdf" in response.get_data(as_text=True)
    kept = db.session.scalars(select(PendingUpload)).one()
    assert firm.post(f"/cases/{case.id}/comments", {
        "body": "Here it is", "kept": [str(kept.id)]}).status_code == 303
    assert [a.filename for a in db.session.scalars(select(Attachment).where(
        Attachment.case_id == case.id))] == ["answer.pdf"]


def test_one_users_kept_files_stay_within_their_share(ctx, world):
    big = b"%PDF-1.4\n" + b"0" * (9 * MB) + b"\n%%EOF\n"
    for n in range(8):
        submissions.keep_uploads(world.firm_a_user, [(f"scan-{n}.pdf", big)], now=utcnow())
        db.session.commit()
    kept = db.session.scalars(select(PendingUpload).order_by(PendingUpload.id)).all()
    assert [k.filename for k in kept] == [f"scan-{n}.pdf" for n in range(2, 8)], \
        "six 9 MB files fit in 60 MB; the oldest went"
    assert len(list(upload_dir().iterdir())) == 6, "their files went with them"
