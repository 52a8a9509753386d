"""``parley user ...`` and ``parley token ...``: accounts and API tokens from the command line."""

from __future__ import annotations

import uuid
from typing import Annotated

import sqlalchemy as sa
import typer
from rich.console import Console
from rich.table import Table

from parley.cli import DbOption, fail, open_engine

console = Console()
KeepCredentials = Annotated[
    bool,
    typer.Option(
        "--keep-credentials",
        help="Keep the user's API tokens and web sessions (by default they all end).",
    ),
]


def register(app: typer.Typer) -> None:
    user_app = typer.Typer(help="Manage user accounts.", no_args_is_help=True)
    token_app = typer.Typer(help="Manage API tokens.", no_args_is_help=True)
    app.add_typer(user_app, name="user")
    app.add_typer(token_app, name="token")

    def _password(password: str | None) -> str:
        return password or typer.prompt("Password", hide_input=True, confirmation_prompt=True)

    @user_app.command("add")
    def user_add(
        username: str,
        password: Annotated[str | None, typer.Option(help="Omit to be prompted.")] = None,
        display_name: Annotated[str, typer.Option(help="Name shown in the UI.")] = "",
        operator: Annotated[bool, typer.Option(help="Grant operator rights.")] = False,
        db: DbOption = None,
    ) -> None:
        """Create a user account."""
        from parley.auth.service import AccountError, add_user
        from parley.authz import Actor
        from parley.db.engine import write_session

        try:
            with write_session(open_engine(db, create=True)) as session:
                add_user(
                    session,
                    actor=Actor.system("cli:user-add"),
                    username=username,
                    password=_password(password),
                    display_name=display_name,
                    is_operator=operator,
                )
        except AccountError as exc:
            raise fail(str(exc)) from None
        console.print(f"created user {username}")

    @user_app.command("passwd")
    def user_passwd(
        username: str,
        password: Annotated[str | None, typer.Option(help="Omit to be prompted.")] = None,
        keep_credentials: KeepCredentials = False,
        db: DbOption = None,
    ) -> None:
        """Set a user's password; every API token and web session of the user ends with it."""
        from parley.auth.service import AccountError, set_password
        from parley.authz import Actor
        from parley.db.engine import write_session

        try:
            with write_session(open_engine(db)) as session:
                ended = set_password(
                    session,
                    actor=Actor.system("cli:user-passwd"),
                    username=username,
                    password=_password(password),
                    keep_credentials=keep_credentials,
                )
        except AccountError as exc:
            raise fail(str(exc)) from None
        console.print(
            f"password changed for {username}; "
            f"{ended.tokens} API token(s) revoked, {ended.sessions} web session(s) ended"
        )

    @user_app.command("reset-second-factor")
    def user_reset_second_factor(
        username: str,
        keep_credentials: KeepCredentials = False,
        db: DbOption = None,
    ) -> None:
        """Remove a user's TOTP factor and security keys (lost); told at their next sign-in."""
        from parley.auth.service import AccountError, reset_second_factor
        from parley.authz import Actor
        from parley.db.engine import write_session

        try:
            with write_session(open_engine(db)) as session:
                ended = reset_second_factor(
                    session,
                    actor=Actor.system("cli:user-reset-second-factor"),
                    username=username,
                    keep_credentials=keep_credentials,
                )
        except AccountError as exc:
            raise fail(str(exc)) from None
        console.print(
            f"second factor reset for {username}; "
            f"{ended.tokens} API token(s) revoked, {ended.sessions} web session(s) ended"
        )

    @user_app.command("unlock")
    def user_unlock(username: str, db: DbOption = None) -> None:
        """End a lock after too many wrong codes or passwords (forgets the counted failures)."""
        from parley.auth.models import User
        from parley.auth.throttle import unlock
        from parley.authz import Actor
        from parley.db.engine import write_session

        with write_session(open_engine(db)) as session:
            user = session.scalars(sa.select(User).where(User.username == username)).first()
            if user is None:
                raise fail(f"username: no user {username!r}")
            count = unlock(session, actor=Actor.system("cli:user-unlock"), user=user)
        console.print(f"unlocked {username} ({count} counted failure(s) forgotten)")

    @user_app.command("security-keys")
    def user_security_keys(
        username: str,
        remove_all: Annotated[
            bool, typer.Option(help="Remove every key (a user who lost them; audited).")
        ] = False,
        db: DbOption = None,
    ) -> None:
        """List a user's security keys (WebAuthn), or remove them all."""
        from parley.auth.models import User
        from parley.auth.security_keys import keys_of, remove_key
        from parley.authz import Actor
        from parley.db.engine import write_session

        with write_session(open_engine(db)) as session:
            user = session.scalars(sa.select(User).where(User.username == username)).first()
            if user is None:
                raise fail(f"username: no user {username!r}")
            keys = keys_of(session, user.id)
            rows = [
                (str(k.id), k.name, str(k.created_at)[:19], str(k.last_used_at or "")[:19])
                for k in keys
            ]
            if remove_all:
                actor = Actor.system("cli:user-security-keys")
                for key in keys:
                    remove_key(session, actor=actor, key_id=key.id)
        if remove_all:
            console.print(f"removed {len(rows)} security key(s) of {username}")
            return
        table = Table("id", "name", "added", "last used")
        for row in rows:
            table.add_row(*row)
        console.print(table)

    @user_app.command("join")
    def user_join(
        username: str,
        process: Annotated[str, typer.Option(help="Process key.")],
        role: Annotated[str, typer.Option(help="head, member, viewer or observer.")],
        party: Annotated[str | None, typer.Option(help="Party key (none for an observer).")] = None,
        db: DbOption = None,
    ) -> None:
        """Put a user in a party's delegation, or make it an observer of a process."""
        from parley.authz import Actor
        from parley.db.engine import write_session
        from parley.processes.service import MembershipError, set_membership

        try:
            with write_session(open_engine(db)) as session:
                set_membership(
                    session,
                    actor=Actor.system("cli:user-join"),
                    process_key=process,
                    username=username,
                    party_key=party,
                    role=role,
                )
        except MembershipError as exc:
            raise fail(str(exc)) from None
        console.print(f"{username} is now {role} of {party or 'no party'} in {process}")

    @token_app.command("create")
    def token_create(
        username: str,
        name: Annotated[str, typer.Option(help="A label for the token.")] = "",
        db: DbOption = None,
    ) -> None:
        """Create an API token for USERNAME and print it (shown once)."""
        from parley.auth.models import User
        from parley.auth.service import create_token
        from parley.authz import Actor
        from parley.db.engine import write_session

        with write_session(open_engine(db)) as session:
            user = session.scalars(sa.select(User).where(User.username == username)).first()
            if user is None:
                raise fail(f"no user {username!r}")
            token = create_token(
                session, actor=Actor.system("cli:token-create"), user=user, name=name
            )
        typer.echo(token)

    @token_app.command("list")
    def token_list(username: str, db: DbOption = None) -> None:
        """List a user's API tokens (never the tokens themselves)."""
        from parley.auth.models import ApiToken, User
        from parley.db.engine import read_session

        with read_session(open_engine(db)) as session:
            user = session.scalars(sa.select(User).where(User.username == username)).first()
            if user is None:
                raise fail(f"no user {username!r}")
            tokens = session.scalars(
                sa.select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.created_at)
            ).all()
        table = Table("id", "name", "created", "last used", "revoked")
        for t in tokens:
            table.add_row(
                str(t.id),
                t.name,
                str(t.created_at)[:19],
                str(t.last_used_at or "")[:19],
                str(t.revoked_at or "")[:19],
            )
        console.print(table)

    @token_app.command("revoke")
    def token_revoke(token_id: str, db: DbOption = None) -> None:
        """Revoke an API token by its id (see `parley token list`)."""
        from parley.auth.service import AccountError, revoke_token
        from parley.authz import Actor
        from parley.db.engine import write_session

        try:
            key = uuid.UUID(token_id)
        except ValueError:
            raise fail(f"token id: {token_id!r} is not a token id") from None
        try:
            with write_session(open_engine(db)) as session:
                revoke_token(session, actor=Actor.system("cli:token-revoke"), token_id=key)
        except AccountError as exc:
            raise fail(str(exc)) from None
        console.print(f"revoked token {token_id}")
