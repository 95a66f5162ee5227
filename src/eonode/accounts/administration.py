"""Account administration: accounts made by an administrator, roles, enabling and disabling,
and the node's first administrator. Every change is audited; the last active administrator
cannot be demoted or disabled."""

from __future__ import annotations

import secrets

from eonode.accounts import passwords
from eonode.accounts.model import Role, User, UserStatus
from eonode.accounts.service_base import AccountServiceBase
from eonode.errors import AlreadyExists, InvalidParameter


class Administration(AccountServiceBase):
    def add_user(
        self,
        username: str,
        email: str,
        password: str,
        *,
        role: Role = Role.USER,
        organisation: str = "",
        country: str = "",
        full_name: str = "",
        must_change_password: bool = False,
        actor: str = "cli",
    ) -> User:
        """An active account made by an administrator (no e-mail round trip)."""
        username, email = self.clean_username(username), self.clean_email(email)
        self._password_rules(password, None, username, email)
        user = self.store.create_user(
            username=username,
            email=email,
            password_hash=passwords.hash_password(password),
            role=role,
            status=UserStatus.ACTIVE,
            now=self.clock(),
            full_name=full_name,
            organisation=organisation,
            country=self.clean_country(country),
            must_change_password=must_change_password,
        )
        self.store.audit("account.add", actor=actor, subject=username, now=self.clock(), role=role.value)
        return user

    def set_role(self, user_id: int, role: Role, *, actor: str, ip: str = "") -> User:
        if role is Role.ANONYMOUS:
            raise InvalidParameter("anonymous is not a role an account can hold")
        before = self.store.get_user(user_id)
        if before.role is Role.ADMIN and role is not Role.ADMIN:
            self._keep_an_admin(before)
        user = self.store.update_user(user_id, role=role)
        self.store.audit(
            "role.change",
            actor=actor,
            subject=user.username,
            ip=ip,
            now=self.clock(),
            before=before.role.value,
            after=role.value,
        )
        return user

    def set_status(self, user_id: int, status: UserStatus, *, actor: str, ip: str = "") -> User:
        if status is UserStatus.PENDING:
            raise InvalidParameter("an account's status can be set to active or disabled")
        before = self.store.get_user(user_id)
        if status is UserStatus.DISABLED and before.role is Role.ADMIN:
            self._keep_an_admin(before)
        user = self.store.update_user(user_id, status=status, failed_logins=0, locked_until=None)
        if status is UserStatus.DISABLED:
            self.store.delete_sessions_of(user_id)
        self.store.audit(
            f"account.{'disable' if status is UserStatus.DISABLED else 'enable'}",
            actor=actor,
            subject=user.username,
            ip=ip,
            now=self.clock(),
        )
        return user

    def _keep_an_admin(self, user: User) -> None:
        if user.status is UserStatus.ACTIVE and self.store.count_users(Role.ADMIN) <= 1:
            raise InvalidParameter(f"{user.username} is the last active administrator; appoint another first")

    def ensure_first_admin(self) -> str | None:
        """Create ``admin`` with a one-time password if the node has no administrator; returns it."""
        if not self.settings.first_admin or self.store.count_users(Role.ADMIN) > 0:
            return None
        if self.store.find_user("admin") is not None:
            return None
        password = secrets.token_urlsafe(12)
        try:
            self.add_user(
                "admin",
                "admin@localhost.localdomain",
                password,
                role=Role.ADMIN,
                must_change_password=True,
                actor="first-start",
            )
        except AlreadyExists:
            return None  # another process of this node made it
        return password
