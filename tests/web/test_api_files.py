"""Files through the API: sent with a comment (multipart), listed and downloaded by whoever
may read the comment, refused as the pages refuse them."""
import io

from onestop.cases import services as cases
from onestop.db import utcnow
from onestop.extensions import db
from onestop.storage import upload_dir
from tests.factories import PDF
from tests.web.api_client import PROBLEM, auth, file_case, token


def _routed(world, title):
    case = file_case(world, title)
    cases.accept_case(world.desk, case, now=utcnow(), version=None)
    cases.route_case(world.desk, case, [world.union], now=utcnow(), version=None)
    db.session.commit()
    return case


def _send(api, case, headers, files, body="도면 첨부", audience=None):
    form = {"body": body, "files": files, **({"audience": audience} if audience else {})}
    return api.post(f"/api/v1/cases/{case.id}/attachments", data=form, headers=headers,
                    content_type="multipart/form-data")


def test_files_come_with_a_comment_and_follow_its_audience(api, world):
    case = _routed(world, "files")
    desk, firm = auth(token(world.desk)), auth(token(world.firm_a_user))
    union = auth(token(world.union_staff))
    made = _send(api, case, firm, [(io.BytesIO(PDF), "평면도.pdf"),
                                   (io.BytesIO(b"a, b\n"), "x.txt")],
                 body='"007"')
    assert made.status_code == 201, made.get_json()
    comment = made.get_json()
    assert comment["body"] == '"007"', "the text is kept as typed, not read as JSON"
    assert [a["filename"] for a in comment["attachments"]] == ["평면도.pdf", "x.txt"]
    _send(api, case, desk, [(io.BytesIO(PDF), "내부.pdf")], body="desk only", audience="desk")

    listed = {role: [a["filename"] for a in api.get(f"/api/v1/cases/{case.id}/attachments",
                                                    headers=headers).get_json()["items"]]
              for role, headers in (("desk", desk), ("firm", firm), ("union", union))}
    assert listed == {"desk": ["평면도.pdf", "x.txt", "내부.pdf"],
                      "firm": ["평면도.pdf", "x.txt"], "union": ["평면도.pdf", "x.txt"]}
    shown = api.get(f"/api/v1/cases/{case.id}/comments", headers=firm).get_json()["items"]
    assert [a["filename"] for a in shown[0]["attachments"]] == ["평면도.pdf", "x.txt"]

    first = comment["attachments"][0]["id"]
    download = api.get(f"/api/v1/cases/{case.id}/attachments/{first}", headers=union)
    assert download.status_code == 200 and download.data == PDF
    assert download.headers["Content-Type"] == "application/pdf"
    assert download.headers["Content-Disposition"].startswith("attachment;")
    internal = api.get(f"/api/v1/cases/{case.id}/attachments", headers=desk).get_json()
    desk_file = internal["items"][-1]["id"]
    assert api.get(f"/api/v1/cases/{case.id}/attachments/{desk_file}",
                   headers=firm).status_code == 404
    other = auth(token(world.firm_b_user))
    assert api.get(f"/api/v1/cases/{case.id}/attachments/{first}",
                   headers=other).status_code == 404


def test_bad_files_and_empty_comments_are_refused_and_nothing_is_kept(api, world):
    case = _routed(world, "bad files")
    firm = auth(token(world.firm_a_user))
    refused = {
        "exe": _send(api, case, firm, [(io.BytesIO(b"MZ"), "run.exe")]),
        "fake pdf": _send(api, case, firm, [(io.BytesIO(b"not a pdf"), "a.pdf")]),
        "empty body": _send(api, case, firm, [(io.BytesIO(PDF), "a.pdf")], body="   "),
        "control": _send(api, case, firm, [(io.BytesIO(PDF), "a.pdf")], body="a\x07b"),
        "no files": api.post(f"/api/v1/cases/{case.id}/attachments", data={"body": "x"},
                             headers=firm, content_type="multipart/form-data"),
        "too many": _send(api, case, firm, [(io.BytesIO(PDF), f"{n}.pdf") for n in range(6)]),
        "5,000 digits": _send(api, case, firm, [(io.BytesIO(PDF), "a.pdf")], body="9" * 5000,
                              audience="1" * 5000),
        "sent twice": api.post(f"/api/v1/cases/{case.id}/attachments", headers=firm,
                               content_type="multipart/form-data",
                               data={"body": ["first", "second"],
                                     "files": (io.BytesIO(PDF), "a.pdf")}),
    }
    statuses = {name: (r.status_code, r.mimetype) for name, r in refused.items()}
    assert statuses == {"exe": (422, PROBLEM), "fake pdf": (422, PROBLEM),
                        "empty body": (422, PROBLEM), "control": (400, PROBLEM),
                        "no files": (422, PROBLEM), "too many": (422, PROBLEM),
                        "5,000 digits": (422, PROBLEM), "sent twice": (422, PROBLEM)}
    assert refused["sent twice"].get_json()["errors"][0]["field"] == "body"
    assert refused["exe"].get_json()["errors"][0]["field"] == "files"
    assert api.get(f"/api/v1/cases/{case.id}/attachments",
                   headers=firm).get_json()["items"] == []
    assert api.get(f"/api/v1/cases/{case.id}/comments", headers=firm).get_json()["items"] == []
    assert not any(upload_dir().iterdir()), "no file of a refused call stays on disk"


def test_a_retried_upload_sends_its_files_once(api, world):
    case = _routed(world, "retried")
    firm = {**auth(token(world.firm_a_user)), "Idempotency-Key": "upload-7"}
    def two_files():
        return [(io.BytesIO(PDF), "a.pdf"), (io.BytesIO(b"notes\n"), "b.txt")]
    first = _send(api, case, firm, two_files(), body="한 번")
    again = _send(api, case, firm, two_files(), body="한 번")
    assert (first.status_code, again.status_code) == (201, 303), first.get_json()
    assert [a["size"] for a in first.get_json()["attachments"]] == [len(PDF), 6], \
        "every file is stored whole after its fingerprint was taken"
    assert again.headers["Location"].endswith(f"/api/v1/cases/{case.id}/attachments")
    other = _send(api, case, firm, [(io.BytesIO(PDF), "b.pdf")], body="한 번")
    assert other.status_code == 422 and other.get_json()["errors"][0]["field"] == \
        "Idempotency-Key"
    assert len(api.get(f"/api/v1/cases/{case.id}/attachments",
                       headers=firm).get_json()["items"]) == 2
