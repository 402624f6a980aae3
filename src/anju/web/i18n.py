"""The web UI's message catalogue: Chinese (zh-CN) first, English second.

Every visible string of the console, the 大屏 and the resident H5 comes from
here, so a missing translation is one dict entry, not a hunt through templates.
"""

from __future__ import annotations

from starlette.requests import Request

LANG_COOKIE = "anju_lang"
DEFAULT_LANG = "zh-CN"
LANGS = ("zh-CN", "en")

# key: (zh-CN, en)
MESSAGES: dict[str, tuple[str, str]] = {
    "app.name": ("安居", "Anju"),
    "app.title": ("安居 · 智慧社区平台", "Anju · Smart Community Platform"),
    "app.tagline": ("智慧社区综合管理平台", "Smart residential community platform"),
    "lang.zh": ("中文", "中文"),
    "lang.en": ("English", "English"),
    "lang.switch": ("切换语言", "Language"),
    # login
    "login.title": ("登录", "Sign in"),
    "login.username": ("用户名", "Username"),
    "login.password": ("密码", "Password"),
    "login.submit": ("登录", "Sign in"),
    "login.phone": ("住户：手机号验证码登录", "Residents: sign in with your phone and a code"),
    "login.phone_hint": (
        "住户请用登记的手机号获取验证码登录；物业工作人员及业委会请使用下方账号密码。",
        "Residents sign in with the phone number on record and a text code; staff and committee members use their "
        "username and password below.",
    ),
    "login.error.credentials": ("用户名或密码错误", "Wrong username or password"),
    "login.error.locked": (
        "登录失败次数过多，账号已临时锁定，请 15 分钟后再试",
        "Too many failed sign-ins; this account is locked for a while, try again later",
    ),
    "login.error.missing": ("请输入用户名和密码", "Enter your username and password"),
    "login.hint": (
        "个人信息依法加密存储，访问全程留痕",
        "Personal data is encrypted at rest and every access is logged",
    ),
    "logout": ("退出登录", "Sign out"),
    # shell
    "shell.compound": ("当前小区", "Compound"),
    "shell.home": ("首页", "Home"),
    "shell.overview": ("工作台", "Dashboard"),
    "shell.soon": ("即将上线", "Soon"),
    "shell.menu": ("菜单", "Menu"),
    "shell.all_compounds": ("全部小区", "All compounds"),
    "shell.back_console": ("返回管理后台", "Back to console"),
    "shell.back_h5": ("返回我的家", "Back to my home"),
    # navigation
    "nav.group.registry": ("基础数据", "Registry"),
    "nav.group.import": ("数据导入", "Data import"),
    "nav.group.privacy": ("隐私合规", "Privacy"),
    "nav.group.analytics": ("数据分析", "Analytics"),
    "nav.group.future": ("更多功能", "More"),
    "h5.svc.access": ("门禁与访客", "Doors & visitors"),
    "h5.svc.repairs": ("报事报修", "Repairs & reports"),
    "h5.svc.notices": ("通知公告", "Notices"),
    "h5.svc.votes": ("业主投票", "Owner votes"),
    "h5.svc.bills": ("物业缴费", "Bills"),
    "h5.svc.surveys": ("问卷调查", "Surveys"),
    "h5.ticker": ("通知", "Notices"),
    "h5.ticker_none": ("暂无未读通知", "No unread notices"),
    "h5.open_door": ("一键开门：{door}", "Open {door}"),
    "h5.mine": ("我的", "Mine"),
    "h5.tab.home": ("首页", "Home"),
    "h5.tab.open": ("开门", "Doors"),
    "h5.tab.mine": ("我的", "Mine"),
    "nav.group.security": ("安防中心", "Security"),
    "nav.group.service": ("物业服务", "Property service"),
    "nav.control_room": ("告警中心", "Alarm centre"),
    "nav.devices": ("设备", "Devices"),
    "nav.guard_desk": ("门岗", "Guard desk"),
    "nav.my_tasks": ("我的任务", "My tasks"),
    "nav.facilities": ("设施设备", "Facilities"),
    "nav.notices": ("通知公告", "Notices"),
    "nav.votes": ("业主投票", "Owner votes"),
    "nav.compounds": ("小区结构", "Compound layout"),
    "nav.houses": ("房屋", "Houses"),
    "nav.residents": ("住户", "Residents"),
    "nav.vehicles": ("车辆", "Vehicles"),
    "nav.import": ("导入名册", "Import roster"),
    "nav.privacy": ("个人信息请求", "Data-subject requests"),
    "nav.audit": ("审计日志", "Audit log"),
    "nav.screen": ("数据大屏", "Data screen"),
    "nav.access": ("门禁", "Access control"),
    "nav.alarms": ("告警", "Alarms"),
    "nav.workorders": ("工单", "Work orders"),
    "nav.patrol": ("巡更", "Patrols"),
    "nav.fees": ("物业费", "Fees"),
    # roles
    "role.platform_admin": ("平台管理员", "Platform admin"),
    "role.property_manager": ("物业经理", "Property manager"),
    "role.property_staff": ("物业员工", "Property staff"),
    "role.technician": ("维修师傅", "Technician"),
    "role.guard": ("保安", "Guard"),
    "role.grid_worker": ("网格员", "Grid worker"),
    "role.resident": ("住户", "Resident"),
    "role.committee_member": ("业委会委员", "Owners' committee"),
    "role.gov_viewer": ("街道办", "Street office"),
    # enums
    "house_status.self_occupied": ("自住", "Owner-occupied"),
    "house_status.rented": ("出租", "Rented"),
    "house_status.vacant": ("空置", "Vacant"),
    "house_status.developer_unsold": ("开发商未售", "Unsold"),
    "area_source.registered": ("不动产登记面积", "registered area"),
    "area_source.surveyed": ("实测面积", "surveyed area"),
    "area_source.contract": ("合同面积", "contract area"),
    "tag.elderly_alone": ("独居老人", "Elderly living alone"),
    "tag.disabled": ("残疾", "Disabled"),
    "tag.minor": ("未成年", "Minor"),
    "tag.special_care": ("特殊关怀", "Special care"),
    "population.registered": ("户籍人口", "Registered"),
    "population.floating": ("流动人口", "Floating"),
    "gender.male": ("男", "Male"),
    "gender.female": ("女", "Female"),
    "gender.unknown": ("未知", "Unknown"),
    "occupancy.owner": ("业主", "Owner"),
    "occupancy.co_owner": ("共有人", "Co-owner"),
    "occupancy.family": ("家庭成员", "Family"),
    "occupancy.tenant": ("租户", "Tenant"),
    "vehicle_class.car": ("燃油车", "Car"),
    "vehicle_class.new_energy": ("新能源车", "New energy"),
    "vehicle_class.motorcycle": ("摩托车", "Motorcycle"),
    "vehicle_class.truck": ("货车", "Truck"),
    "person_status.active": ("在住", "Active"),
    "person_status.moved_out": ("已迁出", "Moved out"),
    "person_status.erased": ("已删除", "Erased"),
    "request_kind.access": ("查阅复制", "Access"),
    "request_kind.correct": ("更正补充", "Correction"),
    "request_kind.delete": ("删除", "Deletion"),
    "request_kind.withdraw": ("撤回同意", "Withdraw consent"),
    "request_kind.close": ("注销账号", "Close account"),
    "request_kind.explain": ("解释说明", "Explanation"),
    "request_kind.delete_face": ("删除人脸信息", "Delete face data"),
    "request_status.open": ("处理中", "Open"),
    "request_status.done": ("已完成", "Done"),
    "request_status.refused": ("已拒绝", "Refused"),
    # common
    "common.search": ("搜索", "Search"),
    "common.filter": ("筛选", "Filter"),
    "common.all": ("全部", "All"),
    "common.reset": ("重置", "Reset"),
    "common.total": ("共 {n} 条", "{n} in total"),
    "common.page": ("第 {page} / {pages} 页", "Page {page} of {pages}"),
    "common.prev": ("上一页", "Previous"),
    "common.next": ("下一页", "Next"),
    "common.none": ("暂无数据", "Nothing to show"),
    "common.list_sep": ("、", ", "),
    "common.close": ("关闭", "Close"),
    "common.loading": ("加载中…", "Loading…"),
    "common.yes": ("是", "Yes"),
    "common.no": ("否", "No"),
    "common.submit": ("提交", "Submit"),
    # dashboard
    "dash.title": ("工作台", "Dashboard"),
    "dash.welcome": ("您好，{name}", "Hello, {name}"),
    "dash.residents": ("在册住户", "Residents"),
    "dash.households": ("在住户数", "Households"),
    "dash.houses": ("房屋总数", "Houses"),
    "dash.vehicles": ("登记车辆", "Vehicles"),
    "dash.elderly_alone": ("独居老人", "Elderly living alone"),
    "dash.open_requests": ("待处理个人信息请求", "Open data-subject requests"),
    "dash.quick": ("快捷入口", "Shortcuts"),
    # compounds
    "compounds.title": ("小区结构", "Compound layout"),
    "compounds.site_plan": ("小区平面图", "Site plan"),
    "compounds.tree": ("楼栋与单元", "Buildings and units"),
    "compounds.building": ("楼栋", "Building"),
    "compounds.unit": ("{n} 单元", "Unit {n}"),
    "compounds.floors": ("{n} 层", "{n} floors"),
    "compounds.houses": ("房屋", "Houses"),
    "compounds.occupied": ("在住", "Occupied"),
    "compounds.rate": ("入住率", "Occupancy"),
    "compounds.no_plan": ("尚未配置平面图", "No site plan configured"),
    "compounds.address": ("地址", "Address"),
    # houses
    "houses.title": ("房屋", "Houses"),
    "houses.label": ("房号", "House"),
    "houses.building": ("楼栋", "Building"),
    "houses.unit": ("单元", "Unit"),
    "houses.floor": ("楼层", "Floor"),
    "houses.status": ("状态", "Status"),
    "houses.area": ("专有面积 (㎡)", "Exclusive area (m²)"),
    "houses.area_source": ("面积来源", "Area source"),
    "houses.occupants": ("在住人数", "Occupants"),
    "houses.search": ("按房号搜索，如 3-1-0802", "Search by label, e.g. 3-1-0802"),
    "houses.all_buildings": ("全部楼栋", "All buildings"),
    "houses.all_status": ("全部状态", "All statuses"),
    # residents
    "residents.title": ("住户", "Residents"),
    "residents.search": ("姓名，或完整手机号 / 身份证号", "Name, or a full phone / ID number"),
    "residents.name": ("姓名", "Name"),
    "residents.gender": ("性别", "Gender"),
    "residents.age": ("年龄", "Age"),
    "residents.phone": ("手机号", "Phone"),
    "residents.id_number": ("身份证号", "ID number"),
    "residents.population": ("人口类型", "Population"),
    "residents.tags": ("标签", "Tags"),
    "residents.houses": ("房屋", "Houses"),
    "residents.all_tags": ("全部标签", "All tags"),
    "residents.all_population": ("全部人口类型", "All population types"),
    "residents.masked_note": (
        "手机号与身份证号默认脱敏显示；查看完整号码需说明理由并记入审计日志。",
        "Phones and ID numbers are masked; revealing one requires a reason and is audited.",
    ),
    "residents.detail": ("住户详情", "Resident details"),
    "residents.select_hint": ("点击列表中的住户查看详情", "Select a resident to see details"),
    "residents.contacts": ("紧急联系人", "Emergency contacts"),
    "residents.occupancies": ("居住记录", "Occupancy history"),
    "residents.since": ("自 {d}", "since {d}"),
    "residents.until": ("至 {d}", "until {d}"),
    "residents.lease_end": ("租期至 {d}", "lease ends {d}"),
    "residents.reveal": ("查看完整号码", "Show full number"),
    "residents.reveal_id": ("查看完整证件号", "Show full ID number"),
    "residents.reveal_prompt": (
        "请填写查看完整号码的理由（将记入审计日志）：",
        "Why do you need the full number? (recorded in the audit log)",
    ),
    "residents.reveal_short": ("理由至少 2 个字", "Give a reason of at least 2 characters"),
    "residents.relation": ("关系", "Relation"),
    "residents.status": ("状态", "Status"),
    # vehicles
    "vehicles.title": ("车辆", "Vehicles"),
    "vehicles.plate": ("车牌号", "Plate"),
    "vehicles.class": ("类型", "Class"),
    "vehicles.house": ("房屋", "House"),
    "vehicles.owner": ("车主", "Owner"),
    "vehicles.search": ("按车牌搜索", "Search by plate"),
    # import
    "import.title": ("导入名册", "Import roster"),
    "import.intro": (
        "上传 Excel（.xlsx）或 CSV 名册。建议先“仅校验”，确认无误后再正式导入。",
        "Upload an Excel (.xlsx) or CSV roster. Validate first, then import for real.",
    ),
    "import.file": ("名册文件", "Roster file"),
    "import.compound": ("导入到小区", "Into compound"),
    "import.all_or_nothing": ("任一行出错则全部不导入", "Import nothing if any row fails"),
    "import.dry_run": ("仅校验，不写入", "Validate only (dry run)"),
    "import.submit": ("开始导入", "Import"),
    "import.running": ("正在处理…", "Working…"),
    "import.report": ("导入结果", "Result"),
    "import.total_rows": ("总行数", "Rows"),
    "import.imported": ("已导入", "Imported"),
    "import.created": ("新增", "Created"),
    "import.updated": ("更新", "Updated"),
    "import.unchanged": ("未变化", "Unchanged"),
    "import.rejected": ("错误行", "Rejected rows"),
    "import.ignored": ("已忽略的列", "Ignored columns"),
    "import.export": ("导出当前名册（已脱敏）", "Export current roster (masked)"),
    "import.export_note": (
        "导出文件中手机号、身份证号均已脱敏，仅供查看，不能再导入。",
        "Phone and ID numbers in the export are masked: for viewing, not for re-import.",
    ),
    "import.committed": ("已写入数据库", "Committed"),
    "import.not_committed": ("未写入数据库", "Not committed"),
    "import.row": ("行", "Row"),
    "import.column": ("列", "Column"),
    "import.message": ("问题", "Problem"),
    "import.no_errors": ("没有发现错误", "No errors found"),
    "import.failed": ("导入失败", "Import failed"),
    "import.choose_file": ("请选择文件", "Choose a file"),
    # privacy
    "privacy.title": ("个人信息请求", "Data-subject requests"),
    "privacy.intro": (
        "依《个人信息保护法》第 44–50 条，住户的查阅、更正、删除等请求须在期限内处理。",
        "Residents' access, correction and deletion requests must be handled by their deadline (PIPL 44–50).",
    ),
    "privacy.id": ("编号", "No."),
    "privacy.person": ("申请人", "Requester"),
    "privacy.kind": ("类型", "Kind"),
    "privacy.detail": ("说明", "Detail"),
    "privacy.created": ("提交时间", "Submitted"),
    "privacy.due": ("处理期限", "Due"),
    "privacy.status": ("状态", "Status"),
    "privacy.overdue": ("已逾期", "Overdue"),
    "privacy.days_left": ("剩 {n} 天", "{n} days left"),
    "privacy.due_today": ("今天到期", "Due today"),
    # audit
    "audit.title": ("审计日志", "Audit log"),
    "audit.intro": (
        "完整个人信息（手机号、身份证号等）的每一次查看都会记录查看人、时间与理由，且不可篡改。",
        "Every read of unmasked personal data is logged with who, when and why, in a tamper-evident chain.",
    ),
    "audit.at": ("时间", "Time"),
    "audit.user": ("查看人", "User"),
    "audit.subject": ("对象", "Subject"),
    "audit.field": ("字段", "Field"),
    "audit.reason": ("理由", "Reason"),
    "audit.field.phone": ("手机号", "Phone"),
    "audit.field.id_number": ("身份证号", "ID number"),
    "audit.field.*": ("全部个人信息", "All personal data"),
    # screen
    "screen.title": ("社区数据大屏", "Community data screen"),
    "screen.residents": ("在册住户", "Residents"),
    "screen.households": ("在住户数", "Households"),
    "screen.houses": ("房屋总数", "Houses"),
    "screen.vehicles": ("登记车辆", "Vehicles"),
    "screen.elderly_alone": ("独居老人", "Elderly alone"),
    "screen.age_bands": ("年龄结构", "Age structure"),
    "screen.population_type": ("户籍 / 流动人口", "Registered vs floating"),
    "screen.gender": ("性别结构", "Gender"),
    "screen.house_status": ("房屋状态", "House status"),
    "screen.tags": ("重点人群", "Residents needing care"),
    "screen.per_building": ("各楼栋住户数", "Residents per building"),
    "screen.vehicle_class": ("车辆类型", "Vehicles by class"),
    "screen.scope": ("统计范围", "Scope"),
    "screen.aggregates_only": ("仅展示统计数据，不含个人信息", "Aggregates only, no personal data"),
    "screen.updated": ("更新于", "Updated"),
    "screen.unknown": ("未知", "Unknown"),
    # h5
    "h5.title": ("我的家", "My home"),
    "h5.hello": ("您好，{name}", "Hello, {name}"),
    "h5.no_house": (
        "暂无在住房屋记录，如有疑问请联系物业。",
        "No current home on record; please contact property management.",
    ),
    "h5.area": ("专有面积", "Exclusive area"),
    "h5.area_unknown": ("面积未登记", "Area not recorded"),
    "h5.status": ("房屋状态", "Status"),
    "h5.members": ("家庭成员", "Household members"),
    "h5.vehicles": ("车辆", "Vehicles"),
    "h5.no_vehicles": ("未登记车辆", "No vehicles registered"),
    "h5.my_data": ("我的个人信息", "My personal data"),
    "h5.export": ("导出我的数据", "Export my data"),
    "h5.export_note": (
        "下载平台保存的您的全部个人信息（JSON），本次下载将记入审计日志。",
        "Download everything Anju holds about you (JSON); the download is logged.",
    ),
    "h5.request": ("申请删除/更正", "Request deletion / correction"),
    "h5.request_kind": ("申请类型", "Request type"),
    "h5.request_detail": ("补充说明（选填）", "Details (optional)"),
    "h5.request_sent": ("已提交，物业将在期限内处理", "Submitted; it will be handled by the deadline"),
    "h5.my_requests": ("我的申请", "My requests"),
    "h5.no_requests": ("暂无申请", "No requests yet"),
    "h5.due": ("处理期限 {d}", "Due {d}"),
    "h5.screen": ("小区数据大屏", "Community data screen"),
    "h5.sqm": ("㎡", "m²"),
    # errors
    "error.403.title": ("无权访问", "Access denied"),
    "error.403.body": ("您的角色无权查看此页面。", "Your role may not view this page."),
    "error.404.title": ("页面不存在", "Not found"),
    "error.404.body": (
        "您访问的内容不存在，或不在您的管辖范围内。",
        "This does not exist or is outside your compounds.",
    ),
    "error.400.title": ("请求有误", "Bad request"),
    "error.500.title": ("出错了", "Something went wrong"),
    "error.back_home": ("返回首页", "Go to my home page"),
    "error.generic": ("请求未能完成", "The request could not be completed"),
}


def normalise(lang: str | None) -> str:
    """Map a cookie or header value onto a supported language."""
    if lang and lang.lower().startswith("en"):
        return "en"
    return DEFAULT_LANG


def lang_of(request: Request) -> str:
    """The language chosen by the `anju_lang` cookie; Chinese by default."""
    return normalise(request.cookies.get(LANG_COOKIE))


def _merge_domain_catalogues() -> None:
    """Each domain's pages keep their strings in anju.web.messages.<domain>; a key defined twice is a bug."""
    from anju.web.messages import (
        access,
        accounts,
        alarms,
        analytics,
        care,
        charging,
        decoration,
        devices,
        emergency,
        facilities,
        fees,
        governance,
        notices,
        notify,
        parking,
        patrol,
        privacy,
        registry,
        video,
        volunteers,
        workorders,
    )

    for module in (
        access,
        accounts,
        alarms,
        analytics,
        care,
        charging,
        decoration,
        devices,
        emergency,
        facilities,
        fees,
        governance,
        notices,
        notify,
        parking,
        patrol,
        privacy,
        registry,
        video,
        volunteers,
        workorders,
    ):
        clash = MESSAGES.keys() & module.MESSAGES.keys()
        if clash:
            raise RuntimeError(f"UI message keys defined twice: {sorted(clash)}")
        MESSAGES.update(module.MESSAGES)


_merge_domain_catalogues()


def gettext(lang: str, key: str, **params: object) -> str:
    """Translate a key; an unknown key shows itself so it is noticed, never crashes a page."""
    pair = MESSAGES.get(key)
    if pair is None:
        return key
    text = pair[1] if lang == "en" else pair[0]
    return text.format(**params) if params else text


class Translator:
    """A callable bound to one language, handed to templates as `t`."""

    def __init__(self, lang: str) -> None:
        self.lang = normalise(lang)

    def __call__(self, key: str, **params: object) -> str:
        return gettext(self.lang, key, **params)

    def maybe(self, key: str, fallback: str) -> str:
        """Translate a key built from data (a field name, a status), or show the raw value."""
        return gettext(self.lang, key) if key in MESSAGES else fallback

    def subset(self, *prefixes: str) -> dict[str, str]:
        """Every message whose key starts with one of `prefixes`, for page scripts."""
        return {k: gettext(self.lang, k) for k in MESSAGES if k.startswith(prefixes)}

    def pick(self, message: dict[str, str]) -> str:
        """Choose from an error body's {zh, en} message."""
        return message.get("en" if self.lang == "en" else "zh") or message.get("en", "")
