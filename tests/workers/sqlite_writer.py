"""One writer process of tests/workers/test_sqlite_writers.py, run as
`python -m tests.workers.sqlite_writer ROLE ROUNDS GO_FILE` with the deployment's environment.

It says "ready", waits for GO_FILE, then makes ROUNDS changes through the app's services, one
transaction each (each also queues its notifications on the SQLite broker), printing the id
of every row it committed. "desk": a firm files a hiring request that the desk accepts and
routes; "firm": a firm files a request and comments on it."""
import sys
import time
from pathlib import Path

from sqlalchemy import select

from onestop import create_app
from onestop.accounts.models import User
from onestop.cases import services as cases
from onestop.catalog.models import RequestType
from onestop.db import utcnow
from onestop.extensions import db
from onestop.orgs.models import Organization


def _user(email: str) -> User:
    return db.session.scalar(select(User).where(User.email == email))


def _file(firm_user: User, hiring: RequestType, title: str):
    return cases.file_case(firm_user, hiring, title=title, description="d", priority="normal",
                           form_data={}, checked_items=[], files=[], now=utcnow())


def main(role: str, rounds: int, go: Path) -> None:
    app = create_app("test")
    with app.app_context():
        print("ready", flush=True)
        while not go.exists():
            time.sleep(0.02)
        hiring = db.session.scalar(select(RequestType).where(RequestType.code == "recruitment"))
        for n in range(rounds):
            if role == "desk":
                case = _file(_user("ceo@alpha.test"), hiring, f"desk round {n}")
                desk = _user("desk@test.example")
                cases.accept_case(desk, case, now=utcnow(), version=None)
                union = db.session.scalar(select(Organization).where(
                    Organization.name_en == "Labor union council"))
                cases.route_case(desk, case, [union], now=utcnow(), version=None)
                db.session.commit()
                print(f"case {case.id}", flush=True)
            else:
                firm_user = _user("ceo@beta.test")
                case = _file(firm_user, hiring, f"firm round {n}")
                comment = cases.add_comment(firm_user, case, f"comment {n}", now=utcnow())
                db.session.commit()
                print(f"case {case.id}", flush=True)
                print(f"comment {comment.id}", flush=True)
        print("done", flush=True)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), Path(sys.argv[3]))
