"""The demo's accounts: sign-up, login, logout, password change and reset, a members' page.

Included from ``app.py`` with ``install_accounts(app)``, after the database is
set up. The account pages are fastcore.auth's own; ``templates/auth/base.html``
makes them use the demo's layout. Password-reset emails are written as
``.eml`` files to ``fastcore-demo-mail/`` in the system's temporary directory.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from fastcore import App, Request, RouteGroup
from fastcore.auth import Auth, auth_routes, login_required
from fastcore.mail import FileMailBackend

#: Where the demo's emails go (one .eml file each).
DEMO_MAIL = Path(tempfile.gettempdir()) / "fastcore-demo-mail"

auth = Auth(
    site_name="fastcore demo",
    mail=FileMailBackend(DEMO_MAIL),
    login_redirect_url="/account",
)

members = RouteGroup()


@members.get("/account", name="account")
@login_required
async def account(request: Request):
    """The logged-in user's page: who they are, and the account actions."""
    return request.app.render("account.html", user=request.user)


def install_accounts(app: App) -> None:
    """Add authentication, the account pages and the members' page to ``app``."""
    auth.init_app(app)
    app.include(auth_routes(auth))
    app.include(members)
