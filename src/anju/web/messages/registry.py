"""UI messages for the registry's structure pages (issue 11): key -> (zh-CN, en)."""

from __future__ import annotations

MESSAGES: dict[str, tuple[str, str]] = {
    "nav.structure": ("小区建档", "Compound set-up"),
    "structure.title": ("小区结构", "Compound structure"),
    "structure.intro": (
        "新建小区，编辑地址、街道办与平面图，一步生成楼栋、单元与房屋。",
        "Create a compound, edit its address, street office and site plan, and generate its buildings, units and "
        "houses in one step.",
    ),
    "structure.new_compound": ("新建小区", "New compound"),
    "structure.code": ("小区编码", "Code"),
    "structure.name": ("小区名称", "Name"),
    "structure.address": ("地址", "Address"),
    "structure.district": ("所在区", "District"),
    "structure.property_org": ("物业公司", "Property company"),
    "structure.street_org": ("街道办", "Street office"),
    "structure.create": ("创建小区", "Create compound"),
    "structure.details": ("小区信息", "Compound details"),
    "structure.plan_width": ("平面图宽度", "Site plan width"),
    "structure.plan_height": ("平面图高度", "Site plan height"),
    "structure.plan_note": (
        "生成楼栋时会自动在平面图上排布；楼栋位置可在平面图中查看。",
        "Generated buildings are laid out on the site plan automatically; see them on the site plan page.",
    ),
    "structure.save": ("保存", "Save"),
    "structure.view_plan": ("查看平面图", "View site plan"),
    "structure.generator": ("批量生成楼栋与房屋", "Generate buildings and houses"),
    "structure.generator_help": (
        "先预览再生成；超过 {limit} 户需确认。房屋编号重复时不会写入任何数据。",
        "Preview first, then generate; above {limit} houses you must confirm. If a label clashes nothing is written.",
    ),
    "structure.buildings_from": ("起始楼号", "First building"),
    "structure.buildings_to": ("结束楼号", "Last building"),
    "structure.units": ("每栋单元数", "Units per building"),
    "structure.floors_from": ("起始楼层", "First floor"),
    "structure.floors_to": ("最高楼层", "Top floor"),
    "structure.houses_per_floor": ("每层户数", "Houses per floor"),
    "structure.label_pattern": ("房屋编号规则", "Label pattern"),
    "structure.label_pattern_help": (
        "{b} 楼号，{u} 单元，{f} 楼层，{n} 户号；{f:02d} 表示补足两位，例如 {b}-{u}-{f:02d}{n:02d} → 3-1-0802",
        "{b} building, {u} unit, {f} floor, {n} house on the floor; {f:02d} pads to two digits, "
        "e.g. {b}-{u}-{f:02d}{n:02d} → 3-1-0802",
    ),
    "structure.areas": ("各户型面积（㎡）", "Area per house type (m²)"),
    "structure.areas_help": (
        "户型即每层的第几户，例如 1=89.5, 2=120；未填写的户型面积留空。",
        "A house type is the house's position on its floor, e.g. 1=89.5, 2=120; types left out get no area.",
    ),
    "structure.area_source": ("面积来源", "Area source"),
    "structure.area_source.registered": ("不动产登记面积", "Registered area"),
    "structure.area_source.surveyed": ("实测面积", "Surveyed area"),
    "structure.area_source.contract": ("合同面积", "Contract area"),
    "structure.confirm": ("确认生成 {n} 户（超过 {limit} 户）", "Confirm creating {n} houses (above {limit})"),
    "structure.preview": ("预览", "Preview"),
    "structure.generate": ("生成", "Generate"),
    "structure.p.buildings": ("楼栋", "Buildings"),
    "structure.p.units": ("单元", "Units"),
    "structure.p.houses": ("房屋", "Houses"),
    "structure.p.labels": ("房屋编号示例", "Sample labels"),
    "structure.ok.created": ("已创建小区：{name}", "Compound created: {name}"),
    "structure.ok.saved": ("已保存", "Saved"),
    "structure.ok.generated": (
        "已生成 {buildings} 栋楼、{units} 个单元、{houses} 户",
        "Generated {buildings} buildings, {units} units and {houses} houses",
    ),
    "structure.err.invalid": ("填写有误：", "Please check:"),
    "import.template": ("下载名册模板", "Download the roster template"),
    "import.template_note": (
        "模板含填写说明（第二个工作表）：必填列、可选值与示例。",
        "The template's second sheet explains each column: required ones, accepted values, an example.",
    ),
    "import.create_missing_houses": (
        "自动创建系统中没有的房屋（编号须为 楼号-单元-楼层户号，如 3-1-0802）",
        "Create houses the compound lacks (labels like building-unit-floor+number, e.g. 3-1-0802)",
    ),
}
