"""The ceiling of the page benchmark: a bare Flask page rendering a 25-row Jinja table, served
the same way as the app. What no page of the app can beat on this machine."""
from flask import Flask, render_template_string

app = Flask(__name__)
ROWS = [{"ref": f"OS-2026-{n:05d}", "title": f"공장 등록 승인 요청 {n}", "firm": "한국카본화이버",
         "status": "처리 중", "due": "2026-12-10 18:00"} for n in range(25)]
PAGE = """<!doctype html><html lang="ko"><head><meta charset="utf-8"><title>목록</title></head>
<body><table><thead><tr><th>요청</th><th>기업</th><th>상태</th><th>기한</th></tr></thead><tbody>
{% for row in rows %}<tr><td><a href="/cases/{{ loop.index }}">{{ row.title }}</a>
<small>{{ row.ref }}</small></td><td>{{ row.firm }}</td><td>{{ row.status }}</td>
<td>{{ row.due }}</td></tr>{% endfor %}</tbody></table></body></html>"""


@app.get("/")
def table():
    return render_template_string(PAGE, rows=ROWS)
