"""A small world of organizations, firms, request types and one user per role."""
from dataclasses import dataclass
from datetime import datetime

from onestop.accounts.models import Role, User
from onestop.accounts.services import hash_password
from onestop.catalog.models import RequestType
from onestop.deadlines import SEOUL
from onestop.extensions import db
from onestop.firms.models import Firm
from onestop.orgs.models import Organization, OrgKind

PASSWORD = "test-pass-2026"
_HASH = hash_password(PASSWORD)
# A Tuesday morning in an ordinary week (no holidays near).
NOW = datetime(2026, 11, 10, 10, 0, tzinfo=SEOUL)
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def make_user(email: str, role: str, *, firm=None, organization=None, name=None) -> User:
    user = User(email=email, name=name or email.split("@")[0], role=role, password_hash=_HASH,
                firm=firm, organization=organization)
    db.session.add(user)
    return user


@dataclass
class World:
    desk_org: Organization
    union: Organization
    univ: Organization
    permits: Organization
    permit_type: RequestType
    hiring_type: RequestType
    firm_a: Firm
    firm_b: Firm
    admin: User
    desk: User
    union_lead: User
    union_staff: User
    univ_staff: User
    permits_staff: User
    firm_a_user: User
    firm_a_user2: User
    firm_b_user: User

    @classmethod
    def build(cls) -> "World":
        desk_org = Organization(name="원스톱 지원센터", name_en="One-stop desk", kind=OrgKind.CITY_DESK)
        union = Organization(name="노사민정협의회", name_en="Labor union council",
                             kind=OrgKind.LABOR_UNION)
        univ = Organization(name="산학협력단", name_en="University foundation",
                            kind=OrgKind.UNIVERSITY)
        permits = Organization(name="건축허가과", name_en="Building permits",
                               kind=OrgKind.CITY_DIVISION)
        db.session.add_all([desk_org, union, univ, permits])
        permit_type = RequestType(
            code="building-permit", name="건축 허가", name_en="Building permit", category="permit",
            period="10d", default_partners=[permits],
            checklist=[{"ko": "설계도서", "en": "Drawings"}, {"ko": "신청서", "en": "Form"}],
            form_fields=[{"name": "floor_area", "ko": "연면적", "en": "Floor area",
                          "required": True}])
        hiring_type = RequestType(
            code="recruitment", name="채용 지원", name_en="Recruitment support", category="hiring",
            period="5d", default_partners=[union, univ], checklist=[], form_fields=[])
        db.session.add_all([permit_type, hiring_type])
        admin = make_user("admin@test.example", Role.ADMIN, organization=desk_org)
        desk = make_user("desk@test.example", Role.CASEWORKER, organization=desk_org)
        firm_a = Firm(name="Alpha Carbon", brn="1234567891", industry="carbon fiber",
                      site="A-1", phase=1, account_officer=desk)
        firm_b = Firm(name="Beta Composite", brn="2208162517", industry="composites",
                      site="B-1", phase=2, account_officer=desk)
        db.session.add_all([firm_a, firm_b])
        world = cls(
            desk_org=desk_org, union=union, univ=univ, permits=permits,
            permit_type=permit_type, hiring_type=hiring_type, firm_a=firm_a, firm_b=firm_b,
            admin=admin, desk=desk,
            union_lead=make_user("lead@union.test", Role.PARTNER_LEAD, organization=union),
            union_staff=make_user("staff@union.test", Role.PARTNER, organization=union),
            univ_staff=make_user("staff@univ.test", Role.PARTNER, organization=univ),
            permits_staff=make_user("staff@permits.test", Role.PARTNER, organization=permits),
            firm_a_user=make_user("ceo@alpha.test", Role.FIRM, firm=firm_a),
            firm_a_user2=make_user("hr@alpha.test", Role.FIRM, firm=firm_a),
            firm_b_user=make_user("ceo@beta.test", Role.FIRM, firm=firm_b),
        )
        db.session.flush()
        return world
