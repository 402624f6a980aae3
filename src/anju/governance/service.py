"""Owner votes under 民法典 278: the sub-services behind one object, `vote_service`.

The rules live in one module per sub-aggregate (the API endpoints and jobs call those directly);
`vote_service` keeps the names the pages, the demo, the benchmark and the tests use:

- setup_service.py     a draft, its agenda and deemed-vote rule, publication (R-V9, R-V11, R-V12)
- electorate.py        who an owner is: the set of co-owners (R-V5, R-V6, R-V10), pure
- electorate_service.py the snapshot of the owners at publication and its digest (R-V7)
- window_service.py    opening, closing and the clock (R-V11, R-V13)
- ballot_service.py    online and paper ballots on the hash chain (R-V5, R-V12, R-V16)
- proxy_service.py     recorded proxies and paper-ballot requests (R-V8, R-V16)
- count_service.py     the recount from the snapshot and the ballots, and its record
- results_service.py   results, 公示, receipts, verification (R-V13, R-V15)
- meeting_service.py   interim-meeting requests (R-V14)
- chain.py             the per-vote hash chains and compare-and-set state changes
- tally.py             the double-majority arithmetic in exact fractions (R-V1…R-V4, R-V17)
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from anju.core.auth import Principal
from anju.governance.ballot_service import ballot_service
from anju.governance.chain import ballot_payload, event_payload
from anju.governance.count_service import Participation, count_service
from anju.governance.electorate import DEVELOPER_KEY
from anju.governance.electorate_service import electorate_service
from anju.governance.enums import VoteState
from anju.governance.meeting_service import meeting_service
from anju.governance.proxy_service import proxy_service
from anju.governance.repository import VoteRepository
from anju.governance.results_service import Verification, results_service
from anju.governance.setup_service import MIN_CLAUSE, NOTICE_PERIOD, vote_setup_service
from anju.governance.window_service import PUBLISH_RESULTS_WITHIN, vote_window_service

__all__ = [
    "DEVELOPER_KEY",
    "MIN_CLAUSE",
    "NOTICE_PERIOD",
    "PUBLISH_RESULTS_WITHIN",
    "Participation",
    "Verification",
    "VoteService",
    "ballot_payload",
    "event_payload",
    "vote_service",
]


class VoteService:
    """The sub-services' methods under the names endpoints, pages and tests already use."""

    def __init__(self) -> None:
        # set-up and publication
        self.get = vote_setup_service.get
        self.get_managed = vote_setup_service.get_managed
        self.create = vote_setup_service.create
        self.replace_agenda = vote_setup_service.replace_agenda
        self.set_deem_rule = vote_setup_service.set_deem_rule
        self.publish = vote_setup_service.publish
        # the electorate
        self.electorate_groups = electorate_service.groups
        self.electorate_digest = electorate_service.digest
        # the window
        self.advance = vote_window_service.advance
        self.open = vote_window_service.open
        self.close = vote_window_service.close
        self.advance_due = vote_window_service.advance_due
        # ballots, proxies, paper
        self.cast = ballot_service.cast
        self.cast_paper = ballot_service.cast_paper
        self.append_many = ballot_service.append_many
        self.request_paper = proxy_service.request_paper
        self.record_proxy = proxy_service.record_proxy
        # counting, results, 公示, verification
        self.recount = count_service.recount
        self.participation = count_service.participation
        self.results = results_service.results
        self.announce = results_service.announce
        self.flag_overdue = results_service.flag_overdue
        self.check_receipt = results_service.check_receipt
        self.verify = results_service.verify
        # interim meetings
        self.request_meeting = meeting_service.request_meeting
        self.meeting_duty = meeting_service.meeting_duty

    @staticmethod
    def open_count(session: Session, *, who: Principal) -> int:
        """Votes open now that the caller can see (the resident H5 home's counter)."""
        return len(VoteRepository(session).search(who, states=[VoteState.open]))


vote_service = VoteService()
