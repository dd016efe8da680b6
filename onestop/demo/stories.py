"""One bulk case's history as rows: the case, its partner tasks, comments and events, told the
way the services would have written them (same actions, statuses, due dates and time split),
but as plain tuples so that a million of them load in minutes (demo/bulk.py writes them)."""
import json
import random
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import accumulate

from onestop.demo import phrases
from onestop.demo.clock import DAY, WorkClock
from onestop.search import grams as _grams

# Cases by status, as a city's books look after a few years: most requests finished.
STATUS_WEIGHTS = {"submitted": 3, "triaged": 2, "in_progress": 13, "waiting_on_firm": 4,
                  "resolved": 6, "closed": 51, "rejected": 8, "returned": 2, "withdrawn": 11}
ROUTED = ("in_progress", "waiting_on_firm", "resolved", "closed", "returned")
PRIORITIES = (("normal", 80), ("high", 15), ("urgent", 5))
TASK_COUNTS = ((1, 62), (2, 28), (3, 10))
COMMENT_COUNTS = ((0, 35), (1, 30), (2, 18), (3, 10), (4, 7))
AUDIENCES = ((("public", "firm"), 45), (("public", "desk"), 20), (("public", "partner"), 15),
             (("partners", "desk"), 6), (("partners", "partner"), 6), (("desk", "desk"), 8))
EMPTY = "{}"
# The texts come from a vocabulary, so they repeat: their bigrams are computed once.
grams = lru_cache(maxsize=200_000)(_grams)


def weighted(pairs):
    values, weights = zip(*pairs, strict=True)
    return list(values), list(accumulate(weights))


STATUSES, TASKS, COMMENT_COUNT, AUDIENCE, PRIORITY = (weighted(pairs) for pairs in (
    STATUS_WEIGHTS.items(), TASK_COUNTS, COMMENT_COUNTS, AUDIENCES, PRIORITIES))


@dataclass
class Catalog:
    """What the stories draw from: request types, firms, partners and their people."""

    types: list  # (id, code, period, task period, is consultation, notice, supplement,
    #              checklist done json, checklist open json, form json, partner ids)
    firms: list  # (firm id, member user id, account officer id or None)
    firm_weights: list
    partners: list  # organization ids
    staff: dict  # organization id -> user ids
    caseworkers: list
    intake: str
    search_grams: bool


@dataclass
class Rows:
    cases: list = field(default_factory=list)
    tasks: list = field(default_factory=list)
    comments: list = field(default_factory=list)
    events: list = field(default_factory=list)

    def tables(self) -> tuple[list, list, list, list]:
        return self.cases, self.tasks, self.comments, self.events


class Storyteller:
    def __init__(self, catalog: Catalog, clock: WorkClock, ids: dict[str, int], seed: int):
        self.c, self.clock, self.ids = catalog, clock, ids
        self.rng = random.Random(seed)

    def next_id(self, table: str) -> int:
        self.ids[table] += 1
        return self.ids[table] - 1

    def tell(self, rows: Rows) -> None:
        """Append one case, of a status drawn by weight, and everything hanging off it."""
        rng, c, clock = self.rng, self.c, self.clock
        status = rng.choices(STATUSES[0], cum_weights=STATUSES[1])[0]
        rt = rng.choice(c.types)
        firm = rng.choices(c.firms, cum_weights=c.firm_weights)[0]
        story = _Story(self, self.next_id("cases"), status, rt, firm)
        end = clock.now - 5
        span = clock.due(end - 20 * DAY, rt[2]) - (end - 20 * DAY)  # the period's length
        if status == "submitted":
            story.submit(end - rng.randrange(30, DAY + DAY // 3))
        elif status == "triaged":
            story.accept(story.submit(end - rng.randrange(DAY, 5 * DAY)))
        elif status == "rejected":
            at = story.submit(end - rng.randrange(DAY, 600 * DAY))
            story.finish("reject", at + rng.randrange(60, DAY), rng.choice(phrases.REJECTIONS))
        elif status == "withdrawn" and rng.random() < 0.4:
            at = story.submit(end - rng.randrange(DAY, 600 * DAY))
            story.finish("withdraw", at + rng.randrange(60, DAY), rng.choice(phrases.WITHDRAWALS))
        elif status in ("in_progress", "waiting_on_firm"):
            start = end - int(span * rng.uniform(0.1, 1.2)) - DAY
            story.work(story.accept(story.submit(start)), end)
        else:  # routed and finished: resolved recently, or closed, returned, withdrawn
            start = (end - rng.randrange(3 * DAY, 600 * DAY) - 2 * span
                     if status != "resolved" else end - rng.randrange(DAY, 8 * DAY) - span)
            story.work(story.accept(story.submit(max(start, DAY))), end)
        story.shift_into_past(end)
        story.comments(rng.choices(COMMENT_COUNT[0], cum_weights=COMMENT_COUNT[1])[0])
        story.write(rows, *self._texts(rt[1]), rng.choices(PRIORITY[0], cum_weights=PRIORITY[1])[0])

    def _texts(self, code: str) -> tuple[str, str]:
        """A title and a description, in Korean or (less often) English."""
        rng = self.rng
        english = rng.random() < 0.15
        titles = phrases.TITLES.get(code, phrases.GENERIC_TITLES)[english]
        subjects = phrases.SUBJECTS_EN if english else phrases.SUBJECTS_KO
        sentences = phrases.DESCRIPTIONS_EN if english else phrases.DESCRIPTIONS_KO
        number = rng.choice((5, 10, 12, 20, 30, 45, 60, 120))
        title = rng.choice(titles).format(s=rng.choice(subjects), n=number)
        description = " ".join(s.format(n=number) for s in rng.sample(sentences, rng.randint(1, 3)))
        return title, description


class _Story:
    """The rows of one case, built in the order things happened."""

    def __init__(self, teller: Storyteller, case_id, status, rt, firm):
        self.t, self.rng, self.clock = teller, teller.rng, teller.clock
        self.id, self.status, self.rt = case_id, status, rt
        self.firm, self.member, self.owner = firm
        # The firm's account officer owns its requests (cases.file_case); without one, any
        # caseworker on the desk acts.
        self.desk = self.owner or self.rng.choice(teller.c.caseworkers)
        self.events: list = []  # (minute, task id, comment id, actor, action, from, to, detail,
        #                          params, internal)
        self.comment_rows: list = []
        self.tasks: list[dict] = []
        self.case = {"accepted": None, "due": None, "paused": None, "resolved": None,
                     "closed": None, "reason": "", "waited": 0, "open_until": None}
        self.case_status = "submitted"

    def event(self, at, action, frm=None, to=None, *, task=None, actor=None, comment=None,
              detail="", params=EMPTY, internal=False):
        self.events.append((at, task, comment, actor, action, frm, to, detail, params, internal))

    def move(self, at, action, to, actor, detail=""):
        self.event(at, action, self.case_status, to, actor=actor, detail=detail)
        self.case_status = to

    def submit(self, at: int) -> int:
        self.submitted = at
        self.event(at, "case.submit", to="submitted", actor=self.member)
        return at

    def accept(self, at: int) -> int:
        at += self.rng.randrange(60, 2 * DAY)
        self.move(at, "case.accept", "triaged", self.desk)
        self.case["accepted"] = at
        self.case["due"] = self.clock.due(at, self.rt[2])
        return at

    def finish(self, action: str, at: int, reason: str, actor=None) -> None:
        to = {"reject": "rejected", "withdraw": "withdrawn", "return": "returned",
              "close": "closed"}[action]
        self.move(at, f"case.{action}", to, actor or (self.member if action == "withdraw"
                                                       else self.desk), reason)
        self.case["closed"] = at
        if action in ("reject", "return"):
            self.case["reason"] = reason

    def work(self, accepted: int, end: int) -> None:
        """Route to 1–3 partners and carry the tasks as far as the case's status says."""
        rng, clock, rt = self.rng, self.clock, self.rt
        routed = accepted + rng.randrange(10, DAY)
        count = rng.choices(TASKS[0], cum_weights=TASKS[1])[0]
        orgs = list(rt[10][:count])
        while len(orgs) < count:
            org = rng.choice(self.t.c.partners)
            if org not in orgs:
                orgs.append(org)
        for org in orgs:
            task = {"id": self.t.next_id("agency_tasks"), "org": org, "status": "open",
                    "due": clock.due(routed, rt[3]), "routed": routed, "waited": 0,
                    "paused": None, "finished": None, "note": "", "supplement": None,
                    "staff": rng.choice(self.t.c.staff[org])}
            self.tasks.append(task)
            self.event(routed, "task.route", to="open", task=task["id"], actor=self.desk)
        self.move(routed, "case.start", "in_progress", self.desk)
        span = max(t["due"] for t in self.tasks) - routed
        final = self.status
        if final in ("in_progress", "waiting_on_firm"):  # fit what happened before now
            span = max(min(span, end - routed - 30), 60)
        for task in self.tasks:
            self._task(task, routed, span, final)
        if final in ("resolved", "closed"):
            done = max(t["finished"] for t in self.tasks)
            staff = max(self.tasks, key=lambda t: t["finished"])["staff"]
            self.move(done, "case.tasks_done", "resolved", staff)
            self.case["resolved"] = done
            if final == "closed":
                self.finish("close", done + rng.randrange(DAY, 10 * DAY), "")
        elif final == "withdrawn":
            at = self._last() + rng.randrange(60, max(span // 2, 120))
            self.finish("withdraw", at, rng.choice(phrases.WITHDRAWALS))
            self._cancel(at)
        elif final == "returned":
            at = max(self._lapse(self.tasks[0], routed, span), self._last() + 30)
            self.finish("return", at, phrases.RETURNS[0])
            self._cancel(at)

    def _last(self) -> int:
        return max(e[0] for e in self.events)

    def _task(self, task, routed, span, final):
        rng = self.rng
        accepted = routed + rng.randrange(30, max(31, span // 5))
        if final == "in_progress" and rng.random() < 0.3 or final in ("withdrawn", "returned") \
                and rng.random() < 0.5:
            return
        self.event(accepted, "task.accept", "open", "accepted", task=task["id"],
                   actor=task["staff"])
        task["status"] = "accepted"
        after = accepted
        task["accepted"] = accepted
        # Only the first task waits on the firm, so that the case's own moves keep their order.
        if task is self.tasks[0] and rng.random() < 0.18 and final != "returned":
            after = self._answered_wait(task, accepted, span)
        if final == "waiting_on_firm" and task is self.tasks[0]:
            self._ask(task, after + rng.randrange(30, max(31, span // 3)))
        elif final in ("resolved", "closed") or final == "in_progress" and rng.random() < 0.3 \
                and task is not self.tasks[0]:
            at = after + int(span * rng.uniform(0.2, 1.15))
            note = rng.choice(phrases.RESOLUTIONS)
            self.event(at, "task.complete", "accepted", "done", task=task["id"],
                       actor=task["staff"], detail=note)
            task.update(status="done", finished=at, note=note)

    def _ask(self, task, at) -> None:
        question = self.rng.choice(phrases.INFO_REQUESTS)
        due = self.clock.due(at, self.rt[6])
        self.event(at, "task.request_info", "accepted", "waiting_on_firm", task=task["id"],
                   actor=task["staff"], detail=question,
                   params=json.dumps({"due_at": self.clock.at(due).isoformat()}))
        task.update(status="waiting_on_firm", paused=at, supplement=due)
        if self.case_status == "in_progress":
            self.move(at, "case.wait_on_firm", "waiting_on_firm", task["staff"])
            self.case["paused"] = at
        self.comment(at, "public", task["staff"], question, info=True)

    def _answered_wait(self, task, accepted, span) -> int:
        asked = accepted + self.rng.randrange(30, max(31, span // 4))
        self._ask(task, asked)
        answered = asked + self.rng.randrange(60, 4 * DAY)
        self.comment(answered, "public", self.member,
                               self.rng.choice(phrases.COMMENTS[("public", "firm")]),
                               params=json.dumps({"answered_tasks": [task["id"]]}))
        waited = answered - asked
        task.update(status="accepted", paused=None, supplement=None, waited=waited,
                    due=task["due"] + waited)
        self.event(answered, "task.firm_answered", "waiting_on_firm", "accepted",
                   task=task["id"], actor=self.member, detail=f"+{waited // 60}h{waited % 60:02d}m")
        if self.case_status == "waiting_on_firm":
            self.case["due"] += answered - self.case["paused"]
            self.case["paused"] = None
            self.move(answered, "case.firm_answered", "in_progress", self.member)
        return answered

    def _lapse(self, task, routed, span) -> int:
        if task["status"] == "open":
            task["accepted"] = routed + 30
            self.event(routed + 30, "task.accept", "open", "accepted", task=task["id"],
                       actor=task["staff"])
            task["status"] = "accepted"
        self._ask(task, task["accepted"] + 30 + self.rng.randrange(0, max(1, span // 3)))
        reminded = task["supplement"]
        again = self.clock.due(reminded, self.rt[6])
        self.event(reminded, "task.supplement_reminded", task=task["id"],
                   params=json.dumps({"due_at": self.clock.at(again).isoformat()}))
        self.event(again, "task.supplement_lapsed", task=task["id"],
                   params=json.dumps({"due_at": self.clock.at(again).isoformat()}))
        task.update(supplement=None)
        return again + self.rng.randrange(30, 2 * DAY)

    def _cancel(self, at) -> None:
        for task in self.tasks:
            if task["status"] in ("open", "accepted", "waiting_on_firm"):
                self.event(at, "task.cancel", task["status"], "cancelled", task=task["id"],
                           actor=self.member if self.status == "withdrawn" else self.desk)
                if task["paused"] is not None:
                    task["waited"] += at - task["paused"]
                task.update(status="cancelled", finished=at, paused=None, supplement=None)

    def shift_into_past(self, end) -> None:
        """Move a history that ran past now back, so everything in it has happened."""
        last = self._last()
        if last <= end:
            return
        back = last - end + self.rng.randrange(0, 2 * DAY)
        self.submitted -= back
        self.events = [(e[0] - back, *e[1:]) for e in self.events]
        self.comment_rows = [(r[0] - back, *r[1:]) for r in self.comment_rows]
        for key in ("accepted", "due", "paused", "resolved", "closed"):
            if self.case[key] is not None:
                self.case[key] -= back
        for task in self.tasks:
            for key in ("due", "routed", "paused", "finished", "supplement"):
                if task[key] is not None:
                    task[key] -= back

    def comment(self, at, audience, author, body, *, info=False, params=EMPTY) -> int:
        comment_id = self.t.next_id("comments")
        self.comment_rows.append((at, comment_id, author, body, audience, info))
        if not info:
            self.event(at, "case.comment", comment=comment_id, actor=author, params=params,
                       internal=audience != "public")
        return comment_id

    def comments(self, count: int) -> None:
        """Comments spread over the case's life, before it finished."""
        rng = self.rng
        last = self.case["closed"] or self.clock.now - 5
        for _ in range(count):
            audience, who = rng.choices(AUDIENCE[0], cum_weights=AUDIENCE[1])[0]
            if who == "partner" and not self.tasks:
                audience, who = "public", "desk"
            author = {"firm": self.member, "desk": self.desk,
                      "partner": rng.choice(self.tasks)["staff"] if self.tasks else None}[who]
            at = rng.randint(self.submitted, max(self.submitted, last - 1))
            self.comment(at, audience, author, rng.choice(phrases.COMMENTS[(audience, who)]))


    def write(self, rows: Rows, title: str, description: str, priority: str) -> None:
        """The story as rows in the column order of CASE_COLUMNS and the others below."""
        at, rt, case, now = self.clock.at, self.rt, self.case, self.clock.now
        accepted = case["accepted"]
        notice = (self.clock.due(accepted, rt[5]) if accepted is not None and rt[5]
                  and self.case_status in ("triaged", "in_progress", "waiting_on_firm")
                  else None)
        self.events.sort(key=lambda e: e[0])  # stable: same-minute moves keep their order
        row = (self.id, self.firm, rt[0], title, description, priority, self.case_status,
               self.owner, self.member,
               rt[7] if accepted is not None or self.rng.random() < 0.7 else rt[8], rt[9],
               case["reason"], at(self.submitted),
               at(self.clock.due(self.submitted, self.t.c.intake)),
               _at(at, accepted), at(notice) if notice and notice > now else None,
               _at(at, case["due"]), _at(at, case["paused"]), _at(at, case["resolved"]),
               (accepted - self.submitted) * 60 if accepted is not None else None,
               _at(at, case["closed"]), at(self.events[-1][0]), 1)
        rows.cases.append(row + ((grams(title, description),) if self.t.c.search_grams else ()))
        for t in self.tasks:
            split = (None, None)
            if t["finished"] is not None:
                agency = t["finished"] - t["routed"] - t["waited"]
                wall = (at(t["finished"]) - at(t["routed"])).total_seconds()
                split = (agency * 60, int(wall) - agency * 60 - t["waited"] * 60)
            rows.tasks.append((
                t["id"], self.id, t["org"], t["staff"] if t["status"] != "open" else None,
                t["status"], rt[3], at(t["due"]), t["note"], at(t["routed"]),
                _at(at, t["paused"]), t["waited"] * 60, _at(at, t["finished"]), *split,
                _at(at, t["supplement"]), rt[4], 1))
        for when, comment_id, author, body, audience, info in self.comment_rows:
            rows.comments.append((comment_id, self.id, author, body, audience, info, at(when))
                                 + ((grams(body),) if self.t.c.search_grams else ()))
        for when, task, comment, actor, action, frm, to, detail, params, internal in self.events:
            rows.events.append((self.t.next_id("events"), self.id, task, comment, actor, action,
                                frm, to, detail, params, internal, at(when)))


def _at(at, minute):
    return None if minute is None else at(minute)


CASE_COLUMNS = ("id", "firm_id", "request_type_id", "title", "description", "priority",
                "status", "owner_id", "created_by_id", "checklist", "form_data",
                "rejection_reason", "submitted_at", "review_due_at", "accepted_at",
                "progress_notice_at", "due_at", "paused_at", "resolved_at", "desk_seconds",
                "closed_at", "updated_at", "version")
TASK_COLUMNS = ("id", "case_id", "organization_id", "assignee_id", "status", "period", "due_at",
                "resolution_note", "routed_at", "paused_at", "waited_seconds", "finished_at",
                "agency_seconds", "paused_seconds", "supplement_due_at", "is_consultation",
                "version")
COMMENT_COLUMNS = ("id", "case_id", "author_id", "body", "audience", "is_info_request",
                   "created_at")
EVENT_COLUMNS = ("id", "case_id", "task_id", "comment_id", "actor_id", "action", "from_status",
                 "to_status", "detail", "params", "is_internal", "created_at")
