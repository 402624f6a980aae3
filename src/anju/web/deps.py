"""Page dependencies: the signed-in user from the session cookie, page permissions, the current compound."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from anju.core.auth import Principal, optional_principal
from anju.core.deps import ReadSession
from anju.core.errors import Forbidden, Unauthenticated
from anju.core.rbac import Permission
from anju.registry.models import Compound
from anju.web import queries
from anju.web.forms import query_int
from anju.web.nav import home_for, nav_for

COMPOUND_COOKIE = "anju_compound"


def web_principal(request: Request, session: ReadSession) -> Principal:
    """The signed-in user; an anonymous visitor is sent to the login page (see routes)."""
    who = optional_principal(request, session)
    if who is None:
        raise Unauthenticated()
    return who


WebUser = Annotated[Principal, Depends(web_principal)]


def _forbidden(who: Principal, what: str) -> Forbidden:
    return Forbidden(f"role {who.role.value} may not open {what}", zh="您的角色无权查看此页面")


def page_guard(perm: Permission) -> Callable[[Request, Principal], Principal]:
    """A dependency: the signed-in user, who must hold `perm` (a 403 page otherwise)."""

    def dep(request: Request, who: WebUser) -> Principal:
        if not who.can(perm):
            raise _forbidden(who, request.url.path)
        return who

    return dep


@dataclass
class ConsolePage:
    """What every console page needs: the user, their compounds, the one selected, the menu."""

    who: Principal
    compounds: list[Compound]
    compound: Compound | None
    unread: int = 0  # my unread messages (消息中心), shown next to 消息 in the top bar

    @property
    def compound_id(self) -> int | None:
        return self.compound.id if self.compound is not None else None

    def context(self, page: str, **values: Any) -> dict[str, Any]:
        """Template context for the console shell plus this page's own values."""
        return {
            "who": self.who,
            "compounds": self.compounds,
            "compound": self.compound,
            "page": page,
            "nav": nav_for(self.who),
            "home": home_for(self.who),
            "unread": self.unread,
            **values,
        }


def selected_compound(request: Request, compounds: list[Compound]) -> Compound | None:
    """The compound picked by ?compound_id= or the switch cookie, else the first one in scope."""
    wanted = query_int(request.query_params.get("compound_id")) or query_int(request.cookies.get(COMPOUND_COOKIE))
    by_id = {c.id: c for c in compounds}
    if wanted in by_id:
        return by_id[wanted]
    return compounds[0] if compounds else None


def console_guard(perm: Permission | None = None) -> Callable[[Request, Principal, Session], ConsolePage]:
    """A dependency: a staff user holding `perm`, with their compounds loaded (a 403 page otherwise)."""

    def dep(request: Request, who: WebUser, session: ReadSession) -> ConsolePage:
        if not who.is_staff or (perm is not None and not who.can(perm)):
            raise _forbidden(who, request.url.path)
        from anju.notify.service import notify_service

        compounds = queries.compounds_of(session, who)
        unread = notify_service.unread_count(session, by=who)
        return ConsolePage(who=who, compounds=compounds, compound=selected_compound(request, compounds), unread=unread)

    return dep
