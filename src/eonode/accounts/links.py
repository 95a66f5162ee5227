"""Signed download links: HMAC over (user, asset, expiry), valid for days so long downloads and
resumes never die on an expiring token. The link's owner is the one whose quota pays."""

from __future__ import annotations

import hmac
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from eonode.accounts import tokens
from eonode.errors import InvalidSignedLink

LINK_PARAMS = ("u", "exp", "sig")


@dataclass(frozen=True, slots=True)
class SignedLink:
    params: dict[str, str]
    expires: datetime


class LinkSigner:
    def __init__(self, secret: bytes, days: float, clock: Callable[[], datetime]) -> None:
        self.secret, self.days, self.clock = secret, days, clock

    def make(self, user_id: int, collection: str, item: str, asset: str, *, days: float | None = None) -> SignedLink:
        expires = int((self.clock() + timedelta(days=min(days or self.days, self.days))).timestamp())
        sig = tokens.sign(self.secret, tokens.link_message(user_id, collection, item, asset, expires))
        return SignedLink({"u": str(user_id), "exp": str(expires), "sig": sig}, datetime.fromtimestamp(expires, UTC))

    def check(self, params: dict[str, str], collection: str, item: str, asset: str) -> int:
        """The user id a valid link stands for; InvalidSignedLink otherwise."""
        try:
            user_id, expires = int(params["u"]), int(params["exp"])
            sig = params["sig"]
        except (KeyError, ValueError):
            raise InvalidSignedLink("the signed link is incomplete (it needs u, exp and sig)") from None
        want = tokens.sign(self.secret, tokens.link_message(user_id, collection, item, asset, expires))
        if not sig.isascii() or not hmac.compare_digest(sig.encode(), want.encode()):
            raise InvalidSignedLink("the signed link is not valid for this file (it was altered or is for another one)")
        if self.clock().timestamp() >= expires:
            when = datetime.fromtimestamp(expires, UTC).isoformat()
            raise InvalidSignedLink(f"the signed link expired at {when}; make a new one")
        return user_id
