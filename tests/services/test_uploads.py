"""The one upload check: names that cannot pretend, packages that cannot explode, PDFs that
are whole; and downloads that keep the name and leave no copy behind."""
import io
import zipfile
from urllib.parse import unquote

import pytest

from onestop.errors import Invalid
from onestop.storage import check_upload, clean_filename
from tests.factories import PDF


def package(members: dict[str, bytes], compression=zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


DOCX = package({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>"})
XLSX = package({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>"})
HWPX = package({"mimetype": b"application/hwp+zip", "Contents/content.hpf": b"<opf/>"})


@pytest.mark.parametrize("name,data", [("report.docx", DOCX), ("sheet.xlsx", XLSX),
                                       ("신청서.hwpx", HWPX), ("plan.pdf", PDF)])
def test_whole_documents_pass(ctx, name, data):
    assert check_upload(name, data)[0] == name


@pytest.mark.parametrize("name,data", [
    ("bomb.docx", package({"[Content_Types].xml": b"<Types/>",
                           "word/document.xml": b"\0" * (120 * 1024 * 1024)})),
    ("zeros.docx", b"PK\x03\x04" + b"\0" * 4096),
    ("empty-package.docx", package({"[Content_Types].xml": b"<Types/>"})),
    ("sheet-as-doc.docx", XLSX),
    ("not-hwpx.hwpx", package({"mimetype": b"application/zip", "Contents/content.hpf": b""})),
    ("bomb.hwpx", package({"mimetype": b"application/hwp+zip" + b"\0" * (120 * 1024 * 1024),
                           "Contents/content.hpf": b""})),
    ("cut.pdf", b"%PDF-1.4\n1 0 obj<<>>endobj\n"),
    ("script.pdf", b"<script>alert(1)</script>%%EOF"),
])
def test_damaged_or_dangerous_documents_are_refused(ctx, name, data):
    with pytest.raises(Invalid, match="damaged"):
        check_upload(name, data)


@pytest.mark.parametrize("typed,kept", [
    ("invoice\u202etxt.exe.pdf", "invoicetxt.exe.pdf"),
    ("a\x01b\x7f.pdf", "ab.pdf"),
    ("..\\..\\windows\\evil.pdf", "evil.pdf"),
    ("../../etc/passwd.pdf", "passwd.pdf"),
    ("\u2066RTL\u2069\u200f.pdf", "RTL.pdf"),
    ("\u1109\u1161\u110b\u1165\u11b8.pdf", "사업.pdf"),  # decomposed Hangul, as macOS sends it
    ("...", "file"),
    ("x" * 300 + ".pdf", "x" * 251 + ".pdf"),
])
def test_names_lose_what_could_make_them_pretend(typed, kept):
    assert clean_filename(typed) == kept


def test_a_korean_name_downloads_with_its_name_and_no_copy_is_kept(browser, world):
    from tests.web.helpers import latest_case, upload

    firm = browser("ceo@alpha.test")
    firm.post(f"/cases/new/{world.hiring_type.id}", {
        "title": "t", "description": "d", "priority": "normal",
        "files": [upload("사업계획서 최종.pdf", PDF), upload("plan.pdf", PDF)]})
    korean, plain = latest_case().attachments
    response = firm.get(f"/cases/{korean.case_id}/attachments/{korean.id}")
    disposition = response.headers["Content-Disposition"]
    assert "filename*=UTF-8''" in disposition
    assert unquote(disposition.split("filename*=UTF-8''")[1]) == "사업계획서 최종.pdf"
    assert f'filename="attachment-{korean.id}.pdf"' in disposition
    assert response.headers["Cache-Control"] == "no-store"
    assert response.get_data() == PDF
    response = firm.get(f"/cases/{plain.case_id}/attachments/{plain.id}")
    assert response.headers["Content-Disposition"] == 'attachment; filename="plan.pdf"'


def test_checking_a_package_never_holds_much_of_it_in_memory(ctx):
    """A small upload that inflates to gigabytes must be refused without inflating it whole."""
    import tracemalloc

    bomb = package({"mimetype": b"application/hwp+zip" + b"\0" * (200 * 1024 * 1024),
                    "Contents/content.hpf": b""})
    assert len(bomb) < 1024 * 1024
    tracemalloc.start()
    try:
        with pytest.raises(Invalid):
            check_upload("bomb.hwpx", bomb)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 8 * 1024 * 1024, f"{peak / 1024 / 1024:.0f} MB held while checking"
