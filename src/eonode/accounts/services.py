"""Everything the accounts domain offers a node, built from its settings in one place."""

from __future__ import annotations

from dataclasses import dataclass

from eonode.accounts.access import AccessControl
from eonode.accounts.links import LinkSigner
from eonode.accounts.mail import Mailer, mailer_for
from eonode.accounts.quotas import Quotas
from eonode.accounts.service import Accounts, Clock, utcnow
from eonode.accounts.store import AccountStore
from eonode.settings import Settings


@dataclass
class AccountServices:
    store: AccountStore
    users: Accounts
    access: AccessControl
    quotas: Quotas
    links: LinkSigner

    @classmethod
    def open(cls, settings: Settings, *, clock: Clock = utcnow, mailer: Mailer | None = None) -> AccountServices:
        """Open over the node's (already migrated) database."""
        store = AccountStore(settings.effective_database_url)
        users = Accounts(store, settings, mailer or mailer_for(settings), clock=clock)
        return cls(
            store=store,
            users=users,
            access=AccessControl(store, settings, clock),
            quotas=Quotas(store, clock),
            links=LinkSigner(users.secret, settings.signed_link_days, clock),
        )

    def close(self) -> None:
        self.store.close()
