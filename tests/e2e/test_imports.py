"""An admin imports the agreement annex in the browser: the upload, the run page following
the import to its end, and the error report of a file with bad rows; axe-checked and
photographed in Korean on a desktop and on a phone."""
import pytest
from playwright.sync_api import expect

from tests.annex import agreement, firm_held, workbook, zone
from tests.e2e.test_pages import PHONE, _check_page

ADMIN = "admin@city.example"


def _upload(page, path) -> None:
    page.get_by_label("협약 부속서 (.xlsx)").set_input_files(str(path))
    page.get_by_role("button", name="올리고 가져오기").click()


@pytest.fixture(scope="module")
def server(server_on_postgres):
    """This module imports 1,200 agreements, so it runs on a database of its own (the shared
    server's zone keeps its 807.2 billion KRW), and on PostgreSQL, where the import's
    progress is written while it writes."""
    return server_on_postgres


def test_the_import_progress_is_followed_to_its_end(people, server, tmp_path):
    annex = tmp_path / "annex.xlsx"
    annex.write_bytes(zone(1200, "desk@city.example"))
    session = people("admin")
    page = session.login(ADMIN)
    session.go("/admin/imports")
    session.shot("admin-imports")
    problems = _check_page(page)
    with firm_held(server["database_url"], 600):
        _upload(page, annex)
        expect(page.locator("h1")).to_contain_text("annex.xlsx 가져오기")
        # The script follows the run without a reload: the 600 firms before the held one
        # (9 rows each) are counted as written.
        expect(page.locator("#import-state")).to_contain_text("가져오는 중", timeout=120_000)
        expect(page.locator("#import-counts")).to_contain_text("10,800행 중 5,400행", timeout=30_000)
        assert page.evaluate("() => document.getElementById('import-bar').value") == 5400
        problems += _check_page(page)
        session.shot("admin-import-running")
    expect(page.locator("#import-state")).to_contain_text("가져오기 완료", timeout=120_000)
    expect(page.locator("#import-progress")).to_contain_text("10,800행을 모두 가져왔습니다")
    problems += _check_page(page)
    session.shot("admin-import-done")
    session.go("/admin/imports")
    expect(page.locator("main tbody tr").first).to_contain_text("가져오기 완료")
    assert not problems, "\n".join(problems)


def test_a_file_with_bad_rows_shows_what_to_correct_on_a_phone(people, tmp_path):
    annex = tmp_path / "bad-annex.xlsx"
    annex.write_bytes(workbook([agreement(1, "desk@city.example", phase=9),
                                agreement(2, "nobody@city.example")], [], []))
    session = people("admin-phone", viewport=PHONE)
    page = session.login(ADMIN)
    session.go("/admin/imports")
    session.shot("phone-admin-imports")
    _upload(page, annex)
    expect(page.locator("#import-state")).to_contain_text("가져오지 않음: 고칠 행 있음",
                                                          timeout=60_000)
    errors = page.locator("table.import-errors tbody tr")
    expect(errors.first).to_contain_text("단계")
    expect(errors.nth(1)).to_contain_text("nobody@city.example")
    assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
    problems = _check_page(page)
    session.shot("phone-admin-import-errors")
    assert not problems, "\n".join(problems)
