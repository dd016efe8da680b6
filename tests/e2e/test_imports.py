"""An admin imports the agreement annex in the browser: the upload, the run page following
the import to its end, and the error report of a file with bad rows; axe-checked and
photographed in Korean on a desktop and on a phone."""
from playwright.sync_api import expect

from tests.annex import agreement, workbook, zone
from tests.e2e.test_pages import PHONE, _check_page

ADMIN = "admin@city.example"


def _upload(page, path) -> None:
    page.get_by_label("협약 부속서 (.xlsx)").set_input_files(str(path))
    page.get_by_role("button", name="올리고 가져오기").click()


def test_the_import_progress_is_followed_to_its_end(people, tmp_path):
    annex = tmp_path / "annex.xlsx"
    annex.write_bytes(zone(1200, "desk@city.example"))
    session = people("admin")
    page = session.login(ADMIN)
    session.go("/admin/imports")
    session.shot("admin-imports")
    problems = _check_page(page)
    _upload(page, annex)
    expect(page.locator("h1")).to_contain_text("annex.xlsx 가져오기")
    bar = page.locator("#import-bar")
    expect(bar).to_be_visible()
    problems += _check_page(page)
    session.shot("admin-import-running")
    seen = []
    # The script follows the run without a reload: its bar moves, then the finished page.
    while page.locator("#import-bar").count():
        value = page.evaluate("() => { const b = document.getElementById('import-bar');"
                              " return b ? [b.value, b.max, b.hasAttribute('value')] : null }")
        if value:
            seen.append(value)
        page.wait_for_timeout(100)
        assert len(seen) < 1800, "the import did not finish within three minutes"
    expect(page.locator("#import-state")).to_contain_text("가져오기 완료")
    expect(page.locator("#import-progress")).to_contain_text("10,800행을 모두 가져왔습니다")
    assert any(has_value and 0 < v for v, _, has_value in seen), f"the bar never moved: {seen}"
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
