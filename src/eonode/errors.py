"""The one error tree of eonode.

Every error a user can see is an :class:`EonodeError`. Each class declares a machine-readable
``code``, an HTTP ``status`` and a default user-safe ``message``; the API maps them once to the
STAC error body ``{"code": ..., "description": ...}`` and the CLI prints them as one line.
Nothing else in the code base invents status codes.
"""

from __future__ import annotations

from typing import ClassVar


class EonodeError(Exception):
    """Base class: a failure with a user-safe description."""

    code: ClassVar[str] = "InternalError"
    status: ClassVar[int] = 500
    message: ClassVar[str] = "internal error"

    def __init__(self, description: str | None = None) -> None:
        self.description = description or self.message
        super().__init__(self.description)

    def headers(self) -> dict[str, str]:
        """HTTP headers the response carries besides the JSON body."""
        return {}


# -- 400 ---------------------------------------------------------------------------------------
class BadRequest(EonodeError):
    code = "BadRequest"
    status = 400
    message = "the request is not valid"


class InvalidBbox(BadRequest):
    code = "InvalidBbox"
    message = "bbox must be 4 or 6 numbers: minx,miny,maxx,maxy within lon/lat bounds"


class InvalidGeometry(BadRequest):
    code = "InvalidGeometry"
    message = "the geometry is not valid GeoJSON"


class InvalidDatetime(BadRequest):
    code = "InvalidDatetime"
    message = "datetime must be an RFC 3339 instant or an interval 'start/end' with '..' for open ends"


class InvalidFilter(BadRequest):
    code = "InvalidFilter"
    message = "the CQL2 filter is not valid"


class InvalidSortby(BadRequest):
    code = "InvalidSortby"
    message = "sortby names an unknown or unsortable field"


class InvalidToken(BadRequest):
    code = "InvalidToken"
    message = "the pagination token is not valid"


class InvalidParameter(BadRequest):
    code = "InvalidParameter"
    message = "a request parameter is not valid"


class InvalidCode(BadRequest):
    code = "InvalidCode"
    message = "the verification code is wrong, used or expired; ask for a new one"


class WeakPassword(BadRequest):
    code = "WeakPassword"
    message = "the password does not meet the password rules"


class InvalidStac(BadRequest):
    code = "InvalidStac"
    message = "the document is not a valid STAC object"


# -- 401 / 403 ---------------------------------------------------------------------------------
class Unauthorized(EonodeError):
    code = "Unauthorized"
    status = 401
    message = "authentication is required"

    def headers(self) -> dict[str, str]:
        return {"WWW-Authenticate": 'Bearer realm="eonode"'}


class InvalidCredentials(Unauthorized):
    code = "InvalidCredentials"
    message = "the account name or password is not correct"


class Forbidden(EonodeError):
    code = "Forbidden"
    status = 403
    message = "you are not allowed to do this"


class AccountInactive(Forbidden):
    code = "AccountInactive"
    message = "this account is not active"


class PasswordChangeRequired(Forbidden):
    code = "PasswordChangeRequired"
    message = "this account must change its one-time password first (POST /me/password)"


class CsrfFailed(Forbidden):
    code = "CsrfFailed"
    message = "the form or request lacks a valid CSRF token; reload the page and try again"


class InvalidSignedLink(Forbidden):
    code = "InvalidSignedLink"
    message = "the signed link is not valid"


class AccessDenied(Forbidden):
    code = "AccessDenied"
    message = "the access policy does not allow this"


# -- 404 ---------------------------------------------------------------------------------------
class NotFound(EonodeError):
    code = "NotFound"
    status = 404
    message = "not found"


class CollectionNotFound(NotFound):
    code = "CollectionNotFound"
    message = "no such collection"


class ItemNotFound(NotFound):
    code = "ItemNotFound"
    message = "no such item"


class AssetNotFound(NotFound):
    code = "AssetNotFound"
    message = "no such asset"


class BlobNotFound(NotFound):
    code = "BlobNotFound"
    message = "the asset's bytes are not held by this node"


# -- 409 / 412 / 413 / 416 ---------------------------------------------------------------------
class Conflict(EonodeError):
    code = "Conflict"
    status = 409
    message = "the request conflicts with the current state"


class AlreadyExists(Conflict):
    code = "AlreadyExists"
    message = "an object with this id already exists"


class PreconditionFailed(EonodeError):
    code = "PreconditionFailed"
    status = 412
    message = "the object changed since you read it"


class PayloadTooLarge(EonodeError):
    code = "PayloadTooLarge"
    status = 413
    message = "the request body is too large"


class RangeNotSatisfiable(EonodeError):
    code = "RangeNotSatisfiable"
    status = 416
    message = "the requested range is outside the file"

    def __init__(self, size: int, description: str | None = None) -> None:
        self.size = size
        super().__init__(description)

    def headers(self) -> dict[str, str]:
        return {"Content-Range": f"bytes */{self.size}"}


class TooManyRequests(EonodeError):
    """A limit was reached: says which, and when it resets (``Retry-After``, seconds)."""

    code = "TooManyRequests"
    status = 429
    message = "too many requests; try again later"

    def __init__(self, description: str | None = None, *, retry_after: int, limit: str = "", reset: str = "") -> None:
        self.retry_after = max(1, int(retry_after))
        self.limit = limit
        self.reset = reset
        super().__init__(description)

    def headers(self) -> dict[str, str]:
        out = {"Retry-After": str(self.retry_after)}
        if self.limit:
            out["X-Quota-Limit"] = self.limit
        if self.reset:
            out["X-Quota-Reset"] = self.reset
        return out


class QuotaExceeded(TooManyRequests):
    code = "QuotaExceeded"
    message = "a quota limit is reached"


class LoginThrottled(TooManyRequests):
    code = "LoginThrottled"
    message = "too many failed logins; wait before trying again"


# -- ingest (a package that cannot be catalogued; its code is the quarantine reason) -------------
class IngestError(EonodeError):
    code = "IngestError"
    status = 422
    message = "the package cannot be ingested"


class UnsafePackage(IngestError):
    code = "UnsafePackage"
    message = "the package is unsafe to open (path traversal, links, devices, or too large when unpacked)"


class MalformedPackage(IngestError):
    code = "MalformedPackage"
    message = "the package is damaged or not in a supported format"


class UnknownProduct(IngestError):
    code = "UnknownProduct"
    message = "no reader recognises this product name"


class MissingMetadata(IngestError):
    code = "MissingMetadata"
    message = "the package lacks the metadata file its product family requires"


class InvalidMetadata(IngestError):
    code = "InvalidMetadata"
    message = "the product metadata is not valid"


class PackageChecksumMismatch(IngestError):
    code = "PackageChecksumMismatch"
    message = "the package does not match the checksum delivered with it"


class NotAPackage(IngestError):
    code = "NotAPackage"
    message = "the file is not a product package (.tar.gz, .tgz, .tar, .zip or a folder)"


class UnreadableImage(IngestError):
    code = "UnreadableImage"
    message = "an image in the package cannot be read"


# -- 5xx and operator errors --------------------------------------------------------------------
class StorageError(EonodeError):
    code = "StorageError"
    status = 500
    message = "the blob store failed"


class StorageFull(StorageError):
    """A copy would not fit in the node's storage quota even after evicting every copy it may."""

    code = "StorageFull"
    status = 507
    message = "the data does not fit in the node's storage quota"


class ChecksumMismatch(StorageError):
    code = "ChecksumMismatch"
    message = "the bytes do not match their recorded sha256"


class FetchingUpstream(EonodeError):
    """The asset's bytes are being fetched from an upstream node; ask again after ``Retry-After``."""

    code = "FetchingUpstream"
    status = 503
    message = "the data is being fetched from an upstream node; try again shortly"

    def __init__(self, description: str | None = None, *, done: int = 0, total: int = 0, retry_after: int = 2) -> None:
        self.done, self.total, self.retry_after = done, total, max(1, retry_after)
        super().__init__(description)

    def headers(self) -> dict[str, str]:
        return {
            "Retry-After": str(self.retry_after),
            "X-Eonode-Progress": f"{self.done}/{self.total}",
            "Cache-Control": "no-store",
        }


class TransferSlotsBusy(EonodeError):
    """Every transfer slot for child nodes is taken (``federation_upload_slots``); ask again after ``Retry-After``."""

    code = "TransferSlotsBusy"
    status = 503
    message = "all transfer slots for child nodes are busy; try again shortly"

    def __init__(self, description: str | None = None, *, retry_after: int = 2) -> None:
        self.retry_after = max(1, retry_after)
        super().__init__(description)

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after), "Cache-Control": "no-store"}


class DatabaseError(EonodeError):
    code = "DatabaseError"
    status = 503
    message = "the database is unavailable"


class MailError(EonodeError):
    code = "MailError"
    status = 503
    message = "the node could not send the e-mail; try again later"


class ConfigError(EonodeError):
    code = "ConfigError"
    status = 500
    message = "the configuration is not valid"


def all_error_classes() -> list[type[EonodeError]]:
    """Every error class, for the generated reference documentation."""
    seen: list[type[EonodeError]] = []
    stack: list[type[EonodeError]] = [EonodeError]
    while stack:
        cls = stack.pop(0)
        seen.append(cls)
        stack.extend(cls.__subclasses__())
    return seen
