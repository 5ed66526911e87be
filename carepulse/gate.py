"""The way in: who is signed in (Streamlit's OpenID Connect, `st.login`), or local mode.

Sign-in is on when `.streamlit/secrets.toml` has an `[auth]` section. Without it the app is a
local single-user tool and says so on every page. The role and teams come from `[access]` in
carepulse.toml (carepulse/access.py); nothing here trusts the browser: `st.user` is filled by
the server from the identity provider's token.
"""

from __future__ import annotations

from typing import NoReturn

import streamlit as st
from streamlit.errors import StreamlitSecretNotFoundError

from carepulse import access, formatting
from carepulse.access import User
from carepulse.settings import get_settings

LOCAL_MODE = (
    "Local single-user mode: no sign-in is configured, so anyone who can open this address "
    "sees every team's data. Configure sign-in before sharing it (README, Security)."
)


def _auth() -> dict:
    """The `[auth]` section of the secrets, empty when sign-in is not configured."""
    try:
        return dict(st.secrets.get("auth", {}))
    except (FileNotFoundError, StreamlitSecretNotFoundError):
        return {}


def configured() -> bool:
    """Whether sign-in is configured (an `[auth]` section in .streamlit/secrets.toml)."""
    return bool(_auth())


def current() -> User:
    """The user of this session: signed in with a role, or the local single user; otherwise
    the sign-in screen (and the page stops)."""
    if not configured():
        return access.LOCAL
    if not st.user.get("is_logged_in"):
        _sign_in()
    email = st.user.get("email")
    found = access.user(get_settings().access, email if isinstance(email, str) else None)
    if found is None:
        _no_role(email)
    return found


def _providers() -> list[str]:
    """The named identity providers ([auth.NAME] sections); none: the one in [auth] itself."""
    return [name for name, value in _auth().items() if isinstance(value, dict)]


def _sign_in() -> NoReturn:
    st.title("CarePulse")
    st.write("Sign in to see your patient-service figures.")
    for name in _providers() or [None]:
        label = f"Sign in with {name.title()}" if name else "Sign in"
        args = (name,) if name else ()
        st.button(label, on_click=st.login, args=args, type="primary", icon=":material/login:")
    st.stop()


def _no_role(email: object) -> NoReturn:
    who = formatting.plain(str(email or "This account"))
    st.warning(
        f"{who} is signed in but has no CarePulse role. Ask an administrator to add the "
        "address under [access] in carepulse.toml."
    )
    st.button("Sign out", on_click=st.logout)
    st.stop()


def pages(every: dict[str, st.Page], user: User) -> list[st.Page]:
    """The pages this user's role may open: the only ones navigation can reach."""
    return [page for name, page in every.items() if user.may_open(name)]


def sidebar(user: User) -> None:
    """Who is signed in, or that this is local mode, at the bottom of the sidebar."""
    if user is access.LOCAL:
        st.sidebar.caption(LOCAL_MODE)
        return
    st.sidebar.caption(f"Signed in as {formatting.plain(user.describe())}")
    st.sidebar.button("Sign out", on_click=st.logout, icon=":material/logout:")


def admit(page: str) -> User:
    """The current user, if their role may open `page`; otherwise the page stops."""
    user = current()
    if not user.may_open(page):
        st.warning(f"Your role ({access.ROLE_NAMES[user.role]}) cannot open this page.")
        st.stop()
    return user
