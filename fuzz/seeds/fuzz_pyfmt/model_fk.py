"""The Account model (table accounts)."""

import uuid

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Enum,
    Float,
    Index,
    Interval,
    LargeBinary,
    Numeric,
    SmallInteger,
    String,
    Text,
    Time,
    text,
    true,
)
from sqlalchemy.orm import relationship

from app.core.database import Base
from app.core.types import GUID
from app.enums import AccountLevel, enum_values
from app.models.custom.accounts import AccountExtras
from app.models.mixins import SoftDeleteMixin, TimestampMixin


class Account(AccountExtras, TimestampMixin, SoftDeleteMixin, Base):
    """An account keyed by UUID.
    Its docstring says \"\"" and ends with a backslash \\
    """

    __tablename__ = "accounts"
    __table_args__ = (
        Index(
            "uq_accounts_handle",
            "handle",
            unique=True,
            postgresql_where=text("deleted_at IS NULL"),
            sqlite_where=text("deleted_at IS NULL"),
        ),
        Index("ix_accounts_handle_level", "handle", "level"),
        Index("ix_accounts_active_level", "active", "level"),
        CheckConstraint("balance >= -1000", name="1"),
        CheckConstraint("big_counter >= 0", name="counter_positive"),
        {"comment": "Accounts; the comment holds 'quotes' and \"double quotes\""},
    )

    id = Column(GUID(), primary_key=True, default=uuid.uuid4)
    handle = Column(String(40), nullable=False, comment="Shown in URLs\nnever changes")
    balance = Column(Numeric(12, 2), nullable=False, server_default=text("0"))
    big_counter = Column(
        BigInteger, nullable=False, default=0, server_default=text("0")
    )
    small_counter = Column(
        SmallInteger, nullable=True, default=7, server_default=text("7")
    )
    ratio = Column(Float, nullable=True, default=0.5, server_default=text("0.5"))
    active = Column(Boolean, nullable=False, server_default=true())
    # Free-form settings, e.g. {"theme": "dark"}
    settings = Column(JSON, nullable=True)
    avatar = Column(LargeBinary, nullable=True)
    session_length = Column(Interval, nullable=True)
    motto = Column(
        Text,
        nullable=True,
        default='It\'s "fine" \\ really\nisn\'t it? """',
        server_default='It\'s "fine" \\ really\nisn\'t it? """',
    )
    level = Column(
        Enum(AccountLevel, name="accounts_level", values_callable=enum_values),
        nullable=False,
        default=AccountLevel.BRONZE,
        server_default="bronze",
    )
    signed_up_on = Column(Date, nullable=True, server_default=text("CURRENT_DATE"))
    wakes_at = Column(Time, nullable=True)
    last_seen = Column(DateTime, nullable=True, index=True)

    wallet = relationship(
        "Wallet", back_populates="owner", uselist=False, passive_deletes=True
    )
    entries = relationship(
        "LedgerEntry",
        back_populates="account",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )
