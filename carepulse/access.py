"""Who may see what: roles from the settings' `[access]` table and the team scope of a user.

No Streamlit here: the gate (carepulse/gate.py) finds who is signed in; this module turns an
e-mail address into a role and a scope, and a scope into the rows a reader may return.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, model_validator

Where = tuple[tuple[str, tuple[str | None, ...]], ...]


class Role(StrEnum):
    ADMIN = "admin"
    MANAGER = "manager"
    TEAM_LEAD = "team_lead"
    EXECUTIVE = "executive"


DASHBOARDS = frozenset({"overview", "drilldown", "agents", "voice", "tickets", "report"})
# The pages (views/<name>.py) each role may open; Definitions holds no data.
PAGES = {
    Role.ADMIN: DASHBOARDS | {"data", "definitions"},
    Role.MANAGER: DASHBOARDS | {"definitions"},
    Role.TEAM_LEAD: DASHBOARDS | {"definitions"},
    Role.EXECUTIVE: frozenset({"overview", "report", "definitions"}),
}
ROLE_NAMES = {
    Role.ADMIN: "admin", Role.MANAGER: "manager",
    Role.TEAM_LEAD: "team lead", Role.EXECUTIVE: "executive",
}  # fmt: skip


class Grant(BaseModel):
    """One `[access]` entry: `"lee@clinic.org" = { role = "team_lead", teams = ["Refills"] }`."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    role: Role
    teams: list[str] = []

    @model_validator(mode="after")
    def _teams_for_leads(self) -> Grant:
        if self.role is Role.TEAM_LEAD and not self.teams:
            raise ValueError("a team_lead needs teams = [...] naming the teams they lead")
        return self


@dataclass(frozen=True)
class Scope:
    """The teams whose rows a user may read; None: every team (and rows with no team)."""

    teams: tuple[str, ...] | None = None

    def narrow(self, where: Where) -> Where:
        """`where` keeping only this scope's teams (a team filter outside it selects nothing)."""
        if self.teams is None:
            return where
        found = dict(where)
        wanted = found.get("team", self.teams)  # an empty list stays empty: nothing
        found["team"] = tuple(t for t in wanted if t in self.teams)
        return tuple(found.items())

    def allows(self, team: str | None) -> bool:
        return self.teams is None or team in self.teams

    def describe(self) -> str:
        return "every team" if self.teams is None else "teams " + ", ".join(self.teams)


EVERYTHING = Scope()


@dataclass(frozen=True)
class User:
    """Someone using the app: their e-mail address, role and scope."""

    email: str
    role: Role
    scope: Scope

    def may_open(self, page: str) -> bool:
        return page in PAGES[self.role]

    def describe(self) -> str:
        scoped = f" · {', '.join(self.scope.teams)}" if self.scope.teams is not None else ""
        return f"{self.email} · {ROLE_NAMES[self.role]}{scoped}"


LOCAL = User("local user", Role.ADMIN, EVERYTHING)  # no sign-in configured: one trusted user


def user(grants: Mapping[str, Grant], email: str | None) -> User | None:
    """The user an e-mail address signs in as, or None when `[access]` does not list it."""
    if not email:
        return None
    by_address = {address.strip().lower(): grant for address, grant in grants.items()}
    grant = by_address.get(email.strip().lower())
    if grant is None:
        return None
    teams = tuple(grant.teams) if grant.role is Role.TEAM_LEAD else None
    return User(email.strip().lower(), grant.role, Scope(teams))
