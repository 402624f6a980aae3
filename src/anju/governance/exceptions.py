"""Governance errors: each refusal names its reason in Chinese and English."""

from __future__ import annotations

from anju.core.errors import Conflict, Forbidden, Invalid, NotFound


class VoteNotFound(NotFound):
    code = "vote_not_found"
    message_zh = "表决不存在"
    message_en = "Vote not found"


class AgendaFrozen(Conflict):
    """R-V11/R-V12: the agenda cannot change once published."""

    code = "vote_agenda_frozen"
    message_zh = "议题已公布，不能再修改"
    message_en = "The agenda is published and cannot change"


class NoticeTooShort(Invalid):
    """R-V11: voting opens at least 15 days after the agenda reaches the owners."""

    code = "vote_notice_too_short"
    message_zh = "议题须至少在表决开始前 15 日公布"
    message_en = "The agenda must be published at least 15 days before voting opens"


class VoteStateConflict(Conflict):
    code = "vote_state_conflict"
    message_zh = "表决当前状态不允许此操作"
    message_en = "The vote's state does not allow this"


class VotingClosed(Conflict):
    code = "vote_not_open"
    message_zh = "当前不在投票期内"
    message_en = "Voting is not open"


class AlreadyVoted(Conflict):
    """One ballot per owner per vote (R-V5, R-V16)."""

    code = "vote_already_voted"
    message_zh = "该业主已投票，不能重复投票"
    message_en = "This owner has already voted"


class NotAnOwner(Forbidden):
    """R-V8: only an owner of the house, or someone holding a recorded proxy, may vote for it."""

    code = "vote_not_owner"
    message_zh = "您不是该房屋的业主，且没有登记的业主委托"
    message_en = "You are not an owner of this house and hold no recorded proxy"


class HouseNotInElectorate(Invalid):
    code = "vote_house_not_in_electorate"
    message_zh = "该房屋不在本次表决的业主名册中"
    message_en = "This house is not in the vote's electorate"


class BallotMismatch(Invalid):
    """R-V12: a ballot must answer exactly the published agenda items."""

    code = "vote_ballot_mismatch"
    message_zh = "选票须且只能对已公布的每个议题表态"
    message_en = "A ballot must answer exactly the published agenda items"


class BadVoteSetup(Invalid):
    code = "vote_bad_setup"
    message_zh = "表决设置无效"
    message_en = "Invalid vote set-up"
