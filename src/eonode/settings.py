"""One settings object for the whole node (environment variables with the ``EONODE_`` prefix).

With no configuration at all a node runs embedded: SQLite and a blob folder inside ``data_dir``.
Pointing ``database_url`` at PostgreSQL+PostGIS scales it. Contradictions are refused here, with a
message that names the setting, so nothing half-configured ever starts.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from eonode.errors import ConfigError

MIB = 1024 * 1024


class Settings(BaseSettings):
    """Configuration of one node. Every field can be set as ``EONODE_<NAME>``."""

    model_config = SettingsConfigDict(env_prefix="EONODE_", extra="forbid", frozen=True, env_ignore_empty=True)

    data_dir: Path = Field(Path("eonode-data"), description="Folder holding the node's database and blobs.")
    database_url: str | None = Field(
        None,
        description="SQLAlchemy URL of the catalogue database; default: SQLite file in data_dir. "
        "Use postgresql+psycopg://user@host/db for PostgreSQL+PostGIS.",
    )
    blob_url: str | None = Field(None, description="Where asset bytes live; default: file://<data_dir>/blobs.")
    host: str = Field("127.0.0.1", description="Address `eonode serve` binds to.")
    port: int = Field(8000, ge=1, le=65535, description="Port `eonode serve` binds to.")
    workers: int = Field(1, ge=1, le=64, description="Number of API processes `eonode serve` runs.")
    public_url: str | None = Field(
        None, description="Base URL clients use to reach the node (behind a proxy); default: from the request."
    )
    title: str = Field("eonode", description="Node title shown in the STAC landing page.")
    description: str = Field(
        "Earth-observation data node: STAC API, downloads and federation.",
        description="Node description shown in the STAC landing page.",
    )
    admin_token: SecretStr | None = Field(
        None,
        description="Bearer token that allows catalogue writes (STAC Transaction) until accounts exist; "
        "at least 16 characters. Unset: writes over HTTP are refused.",
    )
    cors_origins: str = Field(
        "*",
        description="Origins allowed to call the API from a browser (comma-separated; '*' for any, '' for none); "
        "lets web clients such as STAC Browser read a node.",
    )
    max_body_bytes: int = Field(32 * MIB, ge=1024, description="Largest request body accepted (413 above).")
    default_limit: int = Field(10, ge=1, description="Page size when a search gives no limit.")
    max_limit: int = Field(1000, ge=1, description="Largest page size a search may ask for.")
    sqlite_cache_mib: int = Field(24, ge=2, le=4096, description="SQLite page cache per reader connection, MiB.")
    sqlite_readers: int = Field(2, ge=1, le=64, description="SQLite reader connections per API process.")
    sqlite_bulk_cache_mib: int = Field(
        1024, ge=16, le=65536, description="Page cache of the writer in bulk loads (`eonode catalog load`), MiB."
    )
    log_level: str = Field("info", description="Log level: debug, info, warning, error.")
    inbox_dir: Path | None = Field(
        None, description="Folder the processing system delivers packages into; default: <data_dir>/inbox."
    )
    quarantine_dir: Path | None = Field(
        None, description="Where refused packages go, each next to a .reason.json; default: <data_dir>/quarantine."
    )
    inbox_watch: bool = Field(
        False, description="Run the inbox worker inside `eonode serve` (one process of the node takes the lock)."
    )
    inbox_settle_seconds: float = Field(
        10.0, ge=0, description="A delivered package is picked up once it has not changed for this long."
    )
    inbox_poll_seconds: float = Field(2.0, gt=0, le=3600, description="How often the inbox worker looks for packages.")
    ingest_quicklooks: bool = Field(True, description="Render browse and thumbnail images for packages that ship none.")
    ingest_max_files: int = Field(10_000, ge=1, description="Most files a package may hold (more: quarantined).")
    ingest_max_unpacked_gib: float = Field(
        64.0, gt=0, description="Largest unpacked size of a package, GiB (more: quarantined as unsafe)."
    )
    ingest_max_ratio: float = Field(
        200.0, ge=2, description="Largest unpacked/packed size ratio once past 256 MiB (decompression bombs)."
    )

    secret_key: SecretStr | None = Field(
        None,
        description="Key that signs download links and CSRF tokens (at least 32 characters); default: "
        "generated on first start and kept in the node's database, shared by all its processes.",
    )
    smtp_host: str | None = Field(
        None, description="SMTP server for e-mail (codes, notices); unset: mails go to the outbox folder and the log."
    )
    smtp_port: int = Field(25, ge=1, le=65535, description="SMTP server port.")
    smtp_security: Literal["none", "starttls", "ssl"] = Field("none", description="SMTP transport security.")
    smtp_username: str | None = Field(None, description="SMTP login name (when the server needs one).")
    smtp_password: SecretStr | None = Field(None, description="SMTP password.")
    mail_from: str = Field("eonode <noreply@localhost>", description="Sender address of the node's e-mail.")
    outbox_dir: Path | None = Field(
        None, description="Where mails are written when no SMTP server is set; default: <data_dir>/outbox."
    )
    code_minutes: float = Field(10.0, gt=0, le=1440, description="How long an e-mailed verification code is valid.")
    code_attempts: int = Field(5, ge=1, le=100, description="Wrong entries after which a code is void.")
    code_sends_per_hour: int = Field(5, ge=1, le=1000, description="Codes one e-mail address may be sent per hour.")
    code_resend_seconds: float = Field(60.0, ge=0, description="Least wait between two codes to one address.")
    password_min_length: int = Field(8, ge=6, le=128, description="Shortest password accepted.")
    session_days: float = Field(14.0, gt=0, le=365, description="How long a portal login lasts.")
    cookie_secure: bool | None = Field(
        None, description="Send cookies over HTTPS only; default: when public_url is https."
    )
    login_failures: int = Field(5, ge=1, le=100, description="Failed logins of an account before it is locked.")
    login_lock_seconds: float = Field(
        60.0, ge=0, description="First lock after too many failed logins; it doubles with each further failure (≤ 1 h)."
    )
    signed_link_days: float = Field(7.0, gt=0, le=90, description="How long a signed download link stays valid.")
    default_visibility: Literal["public", "registered"] = Field(
        "public", description="Metadata visibility of collections with no policy of their own."
    )
    default_data_access: Literal["open", "registered", "approval", "purchase", "none"] = Field(
        "registered", description="Data access of collections with no policy of their own."
    )
    tile_url: str | None = Field(
        None,
        description="XYZ tile URL template for the portal's maps (e.g. https://tiles.example/{z}/{x}/{y}.png) on "
        "nodes with internet; unset: the maps show the shipped country outlines only.",
    )
    portals_file: Path | None = Field(
        None,
        description="JSON file of theme portals (/p/NAME: title, logo, collections, tiles); see docs/guides/portal.md.",
    )
    parent_url: str | None = Field(
        None, description="The parent node this node follows (a child node); unset: a main node with no parent."
    )
    parent_key: SecretStr | None = Field(
        None,
        description="This node's credential at its parent (the key `eonode node join` generated and the parent "
        "approved).",
    )
    status_seconds: float = Field(30.0, gt=0, description="How often a child node reports its status to its parent.")
    storage_quota_gib: float | None = Field(
        None,
        gt=0,
        description="A child node's limit for copied data bytes; when full, the least recently downloaded copies "
        "are evicted (metadata and quicklooks stay; the data becomes remote and is fetched again on demand).",
    )
    reconcile_seconds: float = Field(
        3600.0, gt=0, description="How often a child node compares its copies with its parent's inventory."
    )
    federation_upload_slots: int = Field(
        4,
        ge=1,
        le=1000,
        description="Downloads by child nodes this node serves at once (per server process); when all are taken, "
        "waiting children are admitted highest agreement priority first. Users' downloads are not counted.",
    )
    federation_upload_wait_seconds: float = Field(
        10.0,
        gt=0,
        le=25,
        description="How long a child node's download waits for a transfer slot before it is answered 503 with "
        "Retry-After (below the children's 30 s read timeout).",
    )
    first_admin: bool = Field(
        True, description="On first start with no administrator, create `admin` with a one-time password (printed)."
    )

    @field_validator("log_level")
    @classmethod
    def _log_level(cls, value: str) -> str:
        value = value.lower()
        if value not in {"debug", "info", "warning", "error", "critical"}:
            raise ValueError("log_level must be one of debug, info, warning, error, critical")
        return value

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        scheme = urlsplit(value).scheme
        if scheme not in {"sqlite", "postgresql", "postgresql+psycopg"}:
            raise ValueError(
                f"database_url scheme {scheme!r} is not supported; use sqlite:///PATH or "
                "postgresql+psycopg://USER@HOST/DB"
            )
        if scheme == "postgresql":
            value = "postgresql+psycopg" + value[len("postgresql") :]
        return value

    @field_validator("blob_url")
    @classmethod
    def _blob_url(cls, value: str | None) -> str | None:
        if value is not None and urlsplit(value).scheme != "file":
            raise ValueError("blob_url must be a file:// URL (S3 support comes with the storage scale path)")
        return value

    @field_validator("admin_token")
    @classmethod
    def _admin_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < 16:
            raise ValueError("admin_token must be at least 16 characters")
        return value

    @field_validator("secret_key")
    @classmethod
    def _secret_key(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < 32:
            raise ValueError("secret_key must be at least 32 characters")
        return value

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value)
        if parts.scheme not in {"http", "https"} or not parts.netloc:
            raise ValueError("public_url must be an absolute http(s) URL")
        return value.rstrip("/")

    @model_validator(mode="after")
    def _consistent(self) -> Settings:
        if self.default_limit > self.max_limit:
            raise ValueError(f"default_limit ({self.default_limit}) exceeds max_limit ({self.max_limit})")
        if self.smtp_password is not None and not self.smtp_username:
            raise ValueError("smtp_password is set but smtp_username is not")
        if self.smtp_security != "none" and not self.smtp_host:
            raise ValueError(f"smtp_security is {self.smtp_security!r} but no smtp_host is set")
        return self

    # -- derived values -----------------------------------------------------------------------
    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'catalog.sqlite').resolve()}"

    @property
    def effective_blob_path(self) -> Path:
        if self.blob_url:
            return Path(urlsplit(self.blob_url).path)
        return (self.data_dir / "blobs").resolve()

    @property
    def effective_inbox_dir(self) -> Path:
        return (self.inbox_dir or self.data_dir / "inbox").resolve()

    @property
    def effective_quarantine_dir(self) -> Path:
        return (self.quarantine_dir or self.data_dir / "quarantine").resolve()

    @property
    def work_dir(self) -> Path:
        """Scratch space for ingestion (inside the data dir: nothing is written elsewhere)."""
        return (self.data_dir / "tmp").resolve()

    @property
    def effective_outbox_dir(self) -> Path:
        return (self.outbox_dir or self.data_dir / "outbox").resolve()

    @property
    def secure_cookies(self) -> bool:
        if self.cookie_secure is not None:
            return self.cookie_secure
        return bool(self.public_url and self.public_url.startswith("https://"))

    @property
    def is_sqlite(self) -> bool:
        return self.effective_database_url.startswith("sqlite")

    def masked(self) -> dict[str, Any]:
        """All settings with secrets masked, for `eonode config show`."""
        out: dict[str, Any] = {}
        for name in type(self).model_fields:
            value = getattr(self, name)
            if isinstance(value, SecretStr):
                value = "********"
            elif isinstance(value, Path):
                value = str(value)
            out[name] = value
        out["database_url"] = _mask_url_password(self.effective_database_url)
        out["blob_url"] = self.blob_url or f"file://{self.effective_blob_path}"
        return out


def _mask_url_password(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":********@")
    return urlunsplit(parts._replace(netloc=netloc))


def load_settings(**overrides: Any) -> Settings:
    """Build settings from the environment plus explicit overrides (None overrides are ignored)."""
    given = {k: v for k, v in overrides.items() if v is not None}
    try:
        return Settings(**given)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "settings"
        message = str(first["msg"]).removeprefix("Value error, ")
        raise ConfigError(f"invalid setting {where}: {message}") from None
