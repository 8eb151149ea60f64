"""The one typed settings object, read from ``VIGIL_*`` environment variables."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PLACEHOLDER_SECRETS = frozenset({"", "change-me", "changeme", "secret", "demo", "placeholder"})
MIN_SECRET_LENGTH = 32
SAFE_SQLITE_SYNCHRONOUS = ("FULL", "EXTRA")
UNSAFE_SQLITE_JOURNAL_MODES = ("OFF", "MEMORY")
# Allow-lists: these values are interpolated into PRAGMA statements.
SQLITE_SYNCHRONOUS_VALUES = ("OFF", "NORMAL", "FULL", "EXTRA")
SQLITE_JOURNAL_MODES = ("DELETE", "TRUNCATE", "PERSIST", "MEMORY", "WAL", "OFF")


class ConfigurationError(RuntimeError):
    """Raised at start-up when the settings are unsafe or inconsistent."""


class Settings(BaseSettings):
    """Every setting Vigil reads. Each field's description is the documentation."""

    model_config = SettingsConfigDict(env_prefix="VIGIL_", extra="ignore")

    demo_mode: bool = Field(
        default=False,
        description="Demo mode: allows the placeholder secret and turns multi-factor "
        "authentication off. Never use it with real data.",
    )
    data_dir: Path = Field(
        default=Path("vigil-data"),
        description="Directory for the default SQLite database, the audit checkpoint key "
        "and other local files.",
    )
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy database URL. Unset: an SQLite file in data_dir. "
        "Use postgresql+psycopg://user:password@host/dbname for PostgreSQL.",
    )
    secret_key: SecretStr = Field(
        default=SecretStr("change-me"),
        description="Secret for CSRF tokens and signed values; at least 32 characters. "
        "Start-up refuses the placeholder outside demo mode.",
    )
    audit_checkpoint_key_file: Path | None = Field(
        default=None,
        description="File holding the HMAC key that signs audit checkpoints, kept outside "
        "the database. Unset: data_dir/audit-checkpoint.key (created by vigil init).",
    )
    audit_checkpoint_log_file: Path | None = Field(
        default=None,
        description="File that keeps a copy of every signed audit checkpoint outside the "
        "database, so deleted checkpoints are noticed. Unset: data_dir/audit-checkpoints.jsonl.",
    )
    sqlite_synchronous: str = Field(
        default="FULL",
        description="SQLite PRAGMA synchronous. Start-up refuses anything below FULL.",
    )
    sqlite_journal_mode: str = Field(
        default="WAL",
        description="SQLite PRAGMA journal_mode. Start-up refuses OFF and MEMORY.",
    )
    sqlite_busy_timeout_ms: int = Field(
        default=10_000, ge=0, description="How long an SQLite writer waits for the lock."
    )
    host: str = Field(default="127.0.0.1", description="Address vigil serve listens on.")
    port: int = Field(default=8000, ge=1, le=65535, description="Port vigil serve listens on.")
    workers: int = Field(
        default=1,
        ge=1,
        le=64,
        description="Server processes vigil serve runs: in production, one per core. The "
        "in-memory rate limits are divided among them.",
    )
    public_url: str | None = Field(
        default=None,
        description="The URL users reach Vigil at (https://… in production). Decides "
        "secure cookies, HSTS and the OIDC redirect address.",
    )
    trust_forwarded_headers: bool = Field(
        default=False,
        description="Believe X-Forwarded-For/Proto from a reverse proxy. Only behind one.",
    )
    session_idle_minutes: int = Field(
        default=30, ge=1, description="A web session ends after this long without a request."
    )
    session_absolute_hours: int = Field(
        default=12, ge=1, description="A web session ends this long after sign-in, whatever."
    )
    api_token_max_days: int = Field(
        default=90, ge=1, description="Longest lifetime a user may give an API token."
    )
    login_max_failures: int = Field(
        default=5,
        ge=1,
        description="Failed sign-ins within login_failure_window_minutes "
        "that lock an account until an admin unlocks it.",
    )
    login_failure_window_minutes: int = Field(
        default=15, ge=1, description="Window in which failed sign-ins are counted."
    )
    password_min_length: int = Field(default=12, ge=8, description="Shortest password accepted.")
    password_max_length: int = Field(
        default=256, ge=128, description="Longest password accepted (never truncated)."
    )
    max_request_bytes: int = Field(
        default=1_048_576, ge=1024, description="Largest request body accepted, in bytes."
    )
    totp_issuer: str = Field(
        default="Vigil", description="Issuer name shown in authenticator apps."
    )
    system_use_banner: str = Field(
        default=(
            "You are accessing a restricted information system. Use may be monitored, "
            "recorded and subject to audit. Unauthorized use is prohibited and may be "
            "subject to criminal and civil penalties. Use of the system indicates consent "
            "to monitoring and recording."
        ),
        description="The system-use notice shown on the sign-in page.",
    )
    outbound_allowed_hosts: list[str] = Field(
        default_factory=list,
        description='Hosts ("name" or "name:port") that outbound requests such as '
        "federation pulls may reach although they resolve to a loopback, private or "
        "link-local address. Everything else on such addresses is refused.",
    )
    deconfliction_key: SecretStr | None = Field(
        default=None,
        description="The key (32 characters or more) this instance shares with its "
        "partner instances for deconfliction: queries carry HMAC-SHA256 digests of a "
        "person's blocked identifiers made with it, never the identifiers. Unset: this "
        "instance neither asks nor answers deconfliction queries.",
    )
    deconfliction_queries_per_hour: int = Field(
        default=30,
        ge=1,
        description="Deconfliction queries one user may send, and one partner account may "
        "have answered, per hour.",
    )
    oidc_issuer: str | None = Field(
        default=None,
        description="OpenID Connect issuer URL for single sign-on. Unset: SSO is off.",
    )
    oidc_client_id: str | None = Field(default=None, description="OIDC client id.")
    oidc_client_secret: SecretStr | None = Field(default=None, description="OIDC client secret.")
    oidc_username_claim: str = Field(
        default="preferred_username",
        description="ID-token claim matched to a Vigil username; SSO never creates accounts.",
    )
    tip_lead_retention_days: int = Field(
        default=365,
        ge=1,
        description="Days a tip/lead is kept unless linked to an open "
        "case; reports marked as describing only protected activity never outlive this.",
    )
    sar_retention_days: int = Field(
        default=1826, ge=1, description="Days a vetted suspicious-activity report is kept."
    )
    intelligence_retention_days: int = Field(
        default=1826,
        ge=1,
        description="Days criminal intelligence is kept before it must "
        "be revalidated (28 CFR 23.20(h): five years) or purged.",
    )
    intelligence_review_notice_days: int = Field(
        default=60,
        ge=1,
        description="Days before the intelligence retention limit at which "
        "a report enters the review queue.",
    )
    assistance_center_retention_days: int = Field(
        default=7 * 365,
        ge=1,
        description="Days a closed family assistance center is kept after its closing day "
        "(the families registered, their visits and briefing attendance); then vigil "
        "recover purge deletes it.",
    )
    fund_claim_retention_days: int = Field(
        default=7 * 365,
        ge=1,
        description="Days a donated fund's claims keep the claimant's name, evidence and "
        "reasons after the fund's last payment; then the purge empties them (the public "
        "report's counts stay).",
    )
    community_offer_retention_days: int = Field(
        default=365,
        ge=1,
        description="Days a resiliency center keeps an in-kind offer or volunteer (who, how "
        "to reach them) after it was matched to a need now met, or after it was made if "
        "never matched; then the purge deletes it.",
    )
    ack_minutes_imminent: int = Field(
        default=15, ge=1, description="Minutes to acknowledge an imminent report."
    )
    ack_minutes_high: int = Field(
        default=240, ge=1, description="Minutes to acknowledge a high-urgency report."
    )
    ack_minutes_moderate: int = Field(
        default=2880, ge=1, description="Minutes to acknowledge a moderate-urgency report."
    )
    ack_minutes_low: int = Field(
        default=10080, ge=1, description="Minutes to acknowledge a low-urgency report."
    )
    attachments_dir: Path | None = Field(
        default=None,
        description="Where report attachments are stored, each under its "
        "SHA-256. Unset: data_dir/attachments.",
    )
    max_attachment_bytes: int = Field(
        default=20 * 1024 * 1024, ge=1024, description="Largest attachment accepted, in bytes."
    )
    max_attachments_per_report: int = Field(
        default=5, ge=0, le=50, description="Most attachments one submission may carry."
    )
    tipline_submissions_per_hour: int = Field(
        default=10,
        ge=1,
        description="Public tip-line submissions and follow-ups accepted "
        "per client address per hour.",
    )
    scheduled_jobs_interval_minutes: int = Field(
        default=5,
        ge=1,
        description="How often vigil serve runs its scheduled jobs "
        "(deadline escalation, retention review and purge, threat-assessment reminders).",
    )
    mail_backend: Literal["console", "file", "smtp"] = Field(
        default="console",
        description="How Vigil sends e-mail (reminders): console, a log line naming the "
        "recipient and subject; file, one .eml file per message in mail_file_dir; smtp, "
        "through smtp_host.",
    )
    mail_from: str = Field(
        default="vigil@localhost", description="The From address of the e-mail Vigil sends."
    )
    mail_file_dir: Path | None = Field(
        default=None,
        description="Where the file mail backend writes its .eml files. Unset: data_dir/mail.",
    )
    smtp_host: str | None = Field(
        default=None, description="SMTP server for the smtp mail backend (required by it)."
    )
    smtp_port: int = Field(
        default=587, ge=1, le=65535, description="Port of the SMTP server (587: submission)."
    )
    smtp_starttls: bool = Field(
        default=True,
        description="Upgrade the SMTP connection with STARTTLS (the server's certificate is "
        "verified) before anything is sent. Start-up refuses an SMTP login without it.",
    )
    smtp_username: str | None = Field(
        default=None, description="SMTP login name. Unset: send without logging in."
    )
    smtp_password: SecretStr | None = Field(
        default=None, description="SMTP login password (with smtp_username)."
    )
    smtp_timeout_seconds: float = Field(
        default=10.0,
        gt=0,
        le=300,
        description="How long one SMTP connection or command may wait before the message "
        "is left for the next run.",
    )
    linkage_backend: Literal["duckdb", "spark"] = Field(
        default="duckdb",
        description="Where person linkage (Splink) runs: duckdb, in process, or spark, "
        "Apache Spark through Splink's Spark backend (needs pyspark and Java 17).",
    )
    analytics_min_cell_count: int = Field(
        default=11,
        ge=2,
        le=1000,
        description="Smallest count the outcome statistics show: smaller cells, and the "
        "cells that would give them away, are suppressed; every reader sees the same view.",
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        default="INFO", description="Logging level."
    )

    @field_validator("sqlite_synchronous")
    @classmethod
    def _known_synchronous(cls, value: str) -> str:
        value = value.strip().upper()
        if value not in SQLITE_SYNCHRONOUS_VALUES:
            raise ValueError(f"must be one of {', '.join(SQLITE_SYNCHRONOUS_VALUES)}")
        return value

    @field_validator("sqlite_journal_mode")
    @classmethod
    def _known_journal_mode(cls, value: str) -> str:
        value = value.strip().upper()
        if value not in SQLITE_JOURNAL_MODES:
            raise ValueError(f"must be one of {', '.join(SQLITE_JOURNAL_MODES)}")
        return value

    @field_validator("deconfliction_key")
    @classmethod
    def _long_enough(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value().strip()) < 32:
            raise ValueError("must be 32 characters or more, the same on every partner")
        return value

    @field_validator("mail_from")
    @classmethod
    def _an_address(cls, value: str) -> str:
        value = value.strip()
        if "@" not in value or "\r" in value or "\n" in value:
            raise ValueError("must be an e-mail address, such as vigil@agency.example")
        return value

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'vigil.sqlite3').as_posix()}"

    @property
    def resolved_checkpoint_key_file(self) -> Path:
        return self.audit_checkpoint_key_file or self.data_dir / "audit-checkpoint.key"

    @property
    def resolved_checkpoint_log_file(self) -> Path:
        return self.audit_checkpoint_log_file or self.data_dir / "audit-checkpoints.jsonl"

    @property
    def resolved_attachments_dir(self) -> Path:
        return self.attachments_dir or self.data_dir / "attachments"

    @property
    def max_upload_request_bytes(self) -> int:
        """Body limit for the routes that take attachments (files plus the form)."""
        return self.max_attachment_bytes * max(1, self.max_attachments_per_report) + 1_048_576

    @property
    def resolved_public_url(self) -> str:
        """Where links in e-mail point: public_url, else the address vigil serve uses."""
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")

    @property
    def resolved_mail_file_dir(self) -> Path:
        return self.mail_file_dir or self.data_dir / "mail"

    @property
    def is_sqlite(self) -> bool:
        return self.resolved_database_url.startswith("sqlite")

    @property
    def served_over_tls(self) -> bool:
        return bool(self.public_url and self.public_url.startswith("https://"))

    @property
    def mfa_required(self) -> bool:
        return not self.demo_mode


def per_process(settings: Settings, per_hour: int) -> int:
    """A process's share of an in-memory rate limit: each server process counts on its
    own, so together they allow no more than ``per_hour`` (at least one each)."""
    return max(1, per_hour // settings.workers)


def check_settings(settings: Settings) -> None:
    """Refuse unsafe settings with a message an operator can act on."""
    secret = settings.secret_key.get_secret_value()
    weak = secret.strip().lower() in PLACEHOLDER_SECRETS or len(secret) < MIN_SECRET_LENGTH
    if weak and not settings.demo_mode:
        raise ConfigurationError(
            "VIGIL_SECRET_KEY is unset, a placeholder or shorter than "
            f"{MIN_SECRET_LENGTH} characters. Generate one with "
            "`python -c 'import secrets; print(secrets.token_urlsafe(48))'`."
        )
    if settings.is_sqlite:
        if settings.sqlite_synchronous not in SAFE_SQLITE_SYNCHRONOUS:
            raise ConfigurationError(
                f"VIGIL_SQLITE_SYNCHRONOUS={settings.sqlite_synchronous} would lose "
                "acknowledged writes on power loss; use FULL or EXTRA."
            )
        if settings.sqlite_journal_mode in UNSAFE_SQLITE_JOURNAL_MODES:
            raise ConfigurationError(
                f"VIGIL_SQLITE_JOURNAL_MODE={settings.sqlite_journal_mode} can corrupt the "
                "database on a crash; use WAL (the default) or DELETE."
            )
    if settings.mail_backend == "smtp" and not settings.smtp_host:
        raise ConfigurationError("VIGIL_MAIL_BACKEND=smtp needs VIGIL_SMTP_HOST.")
    if bool(settings.smtp_username) != bool(settings.smtp_password):
        raise ConfigurationError(
            "An SMTP login needs both VIGIL_SMTP_USERNAME and VIGIL_SMTP_PASSWORD."
        )
    if settings.smtp_username and not settings.smtp_starttls:
        raise ConfigurationError(
            "VIGIL_SMTP_USERNAME without VIGIL_SMTP_STARTTLS=true would send the SMTP "
            "password unencrypted; turn STARTTLS on."
        )
    if bool(settings.oidc_issuer) != bool(settings.oidc_client_id):
        raise ConfigurationError(
            "Single sign-on needs both VIGIL_OIDC_ISSUER and VIGIL_OIDC_CLIENT_ID."
        )
