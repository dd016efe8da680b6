"""The words of the bulk demo data (demo/bulk.py): firm names, request titles and texts in
Korean and English, as firms, the desk and partners write them. Each request type has titles
of its own, so a word such as 승인 or 채용 occurs about as often as its requests do."""

FIRM_PREFIXES = ["대한", "한빛", "세종", "동방", "미래", "새한", "태광", "우성", "금강", "한결",
                 "청운", "보성", "해든", "누리", "은하", "성진", "가온", "두리", "서광", "온새"]
FIRM_WORDS = [("정밀", "정밀가공"), ("소재", "첨단소재"), ("테크", "산업장비"), ("바이오", "바이오소재"),
              ("에너지", "에너지저장장치"), ("화학", "정밀화학"), ("모빌리티", "자동차부품"),
              ("카본", "탄소섬유"), ("복합재", "복합재 부품"), ("전자", "전자부품"),
              ("로보틱스", "산업용 로봇"),
              ("수소", "수소저장용기")]
PEOPLE = ["김민수", "이지은", "박서준", "최예린", "정우진", "강하은", "조현우", "윤서아", "장도윤", "임수빈"]
SITES = ["탄소소재 국가산단 {}블록", "첨단산업단지 {}필지", "일반산업단지 {}구역"]

SUBJECTS_KO = ["2공장", "신규 생산라인", "연구소", "물류창고", "본사 사옥", "도장 공정",
               "3라인", "시험동", "소성로", "클린룸", "자동화 설비", "부속 창고"]
SUBJECTS_EN = ["the second plant", "a new production line", "the research center",
               "the warehouse", "the head office", "the coating line", "line 3",
               "the test building", "the kiln", "the clean room"]

# request type code -> (Korean title templates, English title templates); {s} a subject,
# {n} a number.
TITLES = {
    "factory-approval": (["{s} 공장설립 승인", "{s} 공장설립 변경승인 요청", "{s} 증설 승인 신청"],
                         ["Factory approval for {s}", "Amended factory approval for {s}"]),
    "building-permit": (["{s} 증축 건축허가", "{s} 신축 건축허가 신청", "{s} 용도변경 허가"],
                        ["Building permit for {s}", "Extension permit for {s}"]),
    "emission-permit": (["{s} 배출시설 설치 허가", "{s} 대기배출시설 변경신고"],
                        ["Emission permit for {s}"]),
    "labor-consult": (["교대근무제 도입 노사 상담", "임금체계 개편 상담 요청", "{s} 인력 전환배치 상담"],
                      ["Shift work consultation", "Wage system consultation"]),
    "work-rules": (["취업규칙 개정안 검토 요청", "유연근무 취업규칙 검토", "휴게시간 규정 검토"],
                   ["Review of the amended work rules", "Flexible hours rules review"]),
    "recruitment": (["생산직 {n}명 채용 지원", "연구직 채용 지원 요청", "{s} 품질관리 인력 채용"],
                    ["Hiring {n} production workers", "Recruiting researchers for {s}"]),
    "training": (["{s} 재직자 맞춤형 훈련과정", "신입사원 공정 교육과정 개설 요청"],
                 ["Training course for {s} staff", "Onboarding course for new hires"]),
    "employment-subsidy": (["청년 {n}명 고용장려금 신청", "신규 고용 장려금 지원 신청"],
                           ["Employment subsidy for {n} young workers"]),
    "other": (["{s} 진입도로 개설 문의", "주차장 확보 문의", "{s} 전력 인입 일정 문의"],
              ["Access road to {s}", "Question about parking", "Power supply to {s}"]),
}
GENERIC_TITLES = (["{s} 관련 협조 요청", "{s} 인허가 일정 문의"],
                  ["Support with {s}", "Permit schedule for {s}"])

DESCRIPTIONS_KO = [
    "부지 면적은 약 {n}00㎡이며 내년 상반기 착공을 목표로 합니다.",
    "관련 서류를 첨부했습니다. 추가로 필요한 자료가 있으면 알려 주세요.",
    "가동 일정이 촉박하여 가능한 한 빠른 검토를 부탁드립니다.",
    "기존 설비를 이전하고 생산 능력을 두 배로 늘릴 계획입니다.",
    "현장 방문이 필요하시면 평일 오후에 일정을 잡아 주세요.",
    "지난 협의 결과를 반영해 계획을 수정했습니다.",
    "고용 인원은 단계적으로 {n}명까지 늘릴 예정입니다.",
]
DESCRIPTIONS_EN = [
    "The site covers about {n}00 square meters; works should start next spring.",
    "The documents are attached. Tell us if anything else is needed.",
    "Our production schedule is tight, so an early review would help a lot.",
    "We will move the existing equipment and double the capacity.",
    "We plan to grow the workforce to {n} people in stages.",
]

# (audience, who writes) -> bodies
COMMENTS = {
    ("public", "firm"): ["보완 서류를 첨부해 다시 제출했습니다.", "진행 상황을 알려 주시면 감사하겠습니다.",
                         "현장 방문은 다음 주 화요일 오후가 가능합니다.",
                         "The revised drawings are attached.", "Could you tell us when to expect an answer?"],
    ("public", "desk"): ["요청을 접수했습니다. 담당 협업기관에 배정했습니다.",
                         "협업기관 검토가 진행 중입니다. 조금만 기다려 주세요.",
                         "We have passed your request to the partner in charge."],
    ("public", "partner"): ["검토 결과는 이번 주 안에 알려 드리겠습니다.",
                            "설계도서 확인을 마쳤습니다. 추가 보완은 필요 없습니다.",
                            "Our review is under way."],
    ("partners", "desk"): ["두 기관 의견을 맞춰 주세요. 이번 주 회의에서 다룹니다.",
                           "Please align your opinions before Friday."],
    ("partners", "partner"): ["현장 확인 결과 특이사항 없습니다.", "환경영향 검토가 함께 필요해 보입니다."],
    ("desk", "desk"): ["시장 관심 기업입니다. 일정을 챙겨 주세요.", "Account officer to call the CEO."],
}
INFO_REQUESTS = ["토지이용계획확인서 원본을 보내 주세요.", "직무별 필요 역량과 채용 일정을 알려 주세요.",
                 "배치도와 층별 평면도가 빠져 있습니다. 보완해 주세요.",
                 "Please send the signed employment contracts."]
RESOLUTIONS = ["허가증을 발급했습니다. 원본은 민원실에서 받으세요.",
               "검토를 마쳤습니다. 의견서를 첨부합니다.", "승인 통보서를 발송했습니다.",
               "채용 박람회 참가 기업으로 등록했습니다.",
               "The review is complete; the opinion is attached."]
REJECTIONS = ["관할 구청 소관입니다. 구청 담당 부서로 문의해 주세요.", "동일한 요청이 이미 진행 중입니다.",
              "This request belongs to the district office."]
WITHDRAWALS = ["자체적으로 진행하기로 했습니다.", "사업 계획이 변경되었습니다.", "We changed our plans."]
RETURNS = ["보완 기한이 지나도록 서류가 제출되지 않아 반려합니다."]
REMINDER_NOTE = "두 번째 기한까지 보완해 주세요."
