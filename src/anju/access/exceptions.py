"""Access-control errors."""

from __future__ import annotations

from anju.core.errors import AppError, Conflict, Invalid, RateLimited


class FaceNotAllowedHere(Invalid):
    code = "face_location_forbidden"
    message_zh = "该位置不得安装人脸识别设备"
    message_en = "face-capable devices are not allowed at this location type"


class SignageMissing(Invalid):
    code = "signage_missing"
    message_zh = "未设置显著提示标识，不能启用人脸识别"
    message_en = "signage must be installed before face features are enabled"


class PiaMissing(Conflict):
    code = "pia_missing"
    message_zh = "该小区尚无有效的个人信息保护影响评估，不能启用人脸识别"
    message_en = "a personal-information impact assessment is required before enabling face features"


class ConsentMissing(Conflict):
    code = "face_consent_missing"
    message_zh = "未取得人脸信息单独同意"
    message_en = "separate face consent is required before enrolment"


class CloudConsentMissing(Conflict):
    code = "face_cloud_consent_missing"
    message_zh = "人脸信息经互联网传输须另行取得单独同意"
    message_en = "this server is reached over the internet: sending face data here needs the separate cloud consent"


class GuardianConsentRequired(Conflict):
    code = "guardian_consent_required"
    message_zh = "未满十四周岁，须由监护人同意"
    message_en = "a subject under 14 needs a guardian's consent"


class CardInUse(Conflict):
    code = "card_in_use"
    message_zh = "该卡号已被登记"
    message_en = "this card number is already registered"


class PinTooSimple(Invalid):
    code = "pin_too_simple"
    message_zh = "密码过于简单（重复或连续数字），请换一个"
    message_en = "this PIN is too simple (one digit repeated or a straight run); choose another"


class PinChangesLimited(RateLimited):
    code = "pin_changes_limited"
    message_zh = "修改门禁密码过于频繁，请稍后再试"
    message_en = "too many PIN changes for this person; try again later"


class PassNotUsable(Conflict):
    code = "pass_not_usable"
    message_zh = "通行证状态不允许此操作"
    message_en = "the pass is not in a state that allows this"


class DeviceNotTerminal(AppError):
    status_code = 403
    code = "not_a_terminal"
    message_zh = "该设备不是门禁终端"
    message_en = "this device is not an access terminal"


class TooManyStreams(RateLimited):
    code = "too_many_streams"
    message_zh = "打开的实时通行记录过多，请关闭其他窗口后再试"
    message_en = "too many live feeds open for this user; close another one first"


class DecisionServerBusy(AppError):
    status_code = 503
    code = "busy"
    message_zh = "系统繁忙，请按离线名单放行"
    message_en = "the decision server is busy; decide from the offline list and retry later"


class ShareLinkInvalid(AppError):
    status_code = 404
    code = "share_link_invalid"
    message_zh = "访客链接无效"
    message_en = "this visitor link is not valid"


class ShareLinkExpired(AppError):
    status_code = 410
    code = "share_link_expired"
    message_zh = "访客链接已过期"
    message_en = "this visitor link has expired"


class ShareSmsLimited(RateLimited):
    code = "share_sms_limited"
    message_zh = "该通行证的短信已达发送上限"
    message_en = "this pass's link has been texted the maximum number of times"


class NoVisitorPhone(Invalid):
    code = "no_visitor_phone"
    message_zh = "该访客未登记手机号，无法发送短信"
    message_en = "the visitor has no phone number to text"
