"""Nothing doubled: a form's second submit — a double click, parallel posts, back and
resubmit — lands on the first one's result instead of acting again."""
import re
import threading

from sqlalchemy import func, select

from onestop.cases.models import Case, Comment
from onestop.extensions import db
from onestop.replies.models import CannedReply
from onestop.tasks.models import AgencyTask
from tests.web.helpers import latest_case, version_of


def once_token(html: str, action: str | None = None) -> str:
    """The one-time token of the form posting to action (or the page's only form with one)."""
    if action:
        html = re.search(r'<form[^>]+action="[^"]*/' + re.escape(action) + r'"(.*?)</form>',
                         html, re.S).group(1)
    return re.search(r'name="once" type="hidden" value="([^"]+)"', html).group(1)


def filing(world, token):
    return {"title": "Boiler permit", "description": "One boiler", "priority": "normal",
            "once": token}


def count(model, *where) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_a_double_click_files_one_case_and_the_repeat_lands_on_it(browser, world):
    firm = browser("ceo@beta.test")
    token = once_token(firm.get(f"/cases/new/{world.hiring_type.id}").get_data(as_text=True))
    first = firm.post(f"/cases/new/{world.hiring_type.id}", filing(world, token))
    second = firm.post(f"/cases/new/{world.hiring_type.id}", filing(world, token))
    assert first.status_code == second.status_code == 303
    assert count(Case) == 1
    assert second.headers["Location"] == first.headers["Location"]
    page = firm.get(second.headers["Location"]).get_data(as_text=True)
    assert "Boiler permit" in page and "flash info" in page, "the repeat is told, not refused"


def test_a_fresh_form_files_again(browser, world):
    """The token guards one rendered form, not the firm's right to file twice on purpose."""
    firm = browser("ceo@beta.test")
    for _ in range(2):
        token = once_token(firm.get(f"/cases/new/{world.hiring_type.id}").get_data(as_text=True))
        assert firm.post(f"/cases/new/{world.hiring_type.id}",
                         filing(world, token)).status_code == 303
    assert count(Case) == 2


def test_six_parallel_posts_of_one_form_file_one_case(browser, world):
    firm = browser("ceo@beta.test")
    token = once_token(firm.get(f"/cases/new/{world.hiring_type.id}").get_data(as_text=True))
    start = threading.Barrier(6)
    answers, errors = [], []

    def post():
        try:
            start.wait(timeout=10)
            answers.append(firm.post(f"/cases/new/{world.hiring_type.id}", filing(world, token)))
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=post) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    assert [a.status_code for a in answers] == [303] * 6, [a.status_code for a in answers]
    assert count(Case) == 1
    assert len({a.headers["Location"] for a in answers}) == 1, "every post lands on the case"


def test_a_repeated_comment_is_added_once(browser, world):
    firm = browser("ceo@beta.test")
    firm.post(f"/cases/new/{world.hiring_type.id}", filing(world, "t-file"))
    case = latest_case()
    page = firm.get(f"/cases/{case.id}").get_data(as_text=True)
    token = once_token(page, "comments")
    for _ in range(2):
        response = firm.post(f"/cases/{case.id}/comments", {"body": "Any news?", "once": token})
        assert response.status_code == 303
    assert count(Comment, Comment.case_id == case.id) == 1


def test_a_repeated_route_routes_once(browser, world):
    firm = browser("ceo@beta.test")
    firm.post(f"/cases/new/{world.hiring_type.id}", filing(world, "t-file"))
    case = latest_case()
    desk = browser("desk@test.example")
    desk.submit(f"/cases/{case.id}", "accept")
    page = desk.get(f"/cases/{case.id}").get_data(as_text=True)
    form = {"version": version_of(page, "route"), "once": once_token(page, "route"),
            "organizations": [str(world.union.id)]}
    first = desk.post(f"/cases/{case.id}/route", form)
    second = desk.post(f"/cases/{case.id}/route", form)
    assert first.status_code == second.status_code == 303
    assert count(AgencyTask, AgencyTask.case_id == case.id) == 1
    assert "flash error" not in desk.get(second.headers["Location"]).get_data(as_text=True), \
        "the repeat is not reported as a conflict"


def test_a_double_click_on_accept_is_not_a_conflict(browser, world):
    firm = browser("ceo@beta.test")
    firm.post(f"/cases/new/{world.hiring_type.id}", filing(world, "t-file"))
    case = latest_case()
    desk = browser("desk@test.example")
    page = desk.get(f"/cases/{case.id}").get_data(as_text=True)
    form = {"version": version_of(page, "accept"), "once": once_token(page, "accept")}
    assert desk.post(f"/cases/{case.id}/accept", form).status_code == 303
    again = desk.post(f"/cases/{case.id}/accept", form)
    assert again.status_code == 303, "the second click lands on the result, not on a 409"
    assert latest_case().status == "triaged"


def test_a_token_is_one_users(browser, world):
    """Another user's token neither lands anyone on someone else's result nor stops them."""
    a, b = browser("ceo@beta.test"), browser("ceo@alpha.test")
    first = a.post(f"/cases/new/{world.hiring_type.id}", filing(world, "shared"))
    second = b.post(f"/cases/new/{world.hiring_type.id}", filing(world, "shared"))
    assert first.status_code == second.status_code == 303
    assert count(Case) == 2 and first.headers["Location"] != second.headers["Location"]


def test_a_one_time_token_too_long_to_keep_is_refused_not_a_server_error(browser, world):
    """A one-button form (a delete) reaches perform unvalidated: its token is checked there."""
    reply = CannedReply(organization_id=world.permits.id, created_by_id=world.permits_staff.id,
                        title="kept", body="b")
    db.session.add(reply)
    db.session.commit()
    b = browser(world.permits_staff.email)
    response = b.post(f"/replies/{reply.id}/delete", {"once": "x" * 100})
    assert response.status_code == 303
    assert db.session.get(CannedReply, reply.id) is not None
