"""Request and response bodies of Account (table accounts)."""

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, ClassVar, List, Optional, Tuple
from uuid import UUID

from pydantic import Field

from app.enums import AccountLevel
from app.schemas.compat import Body, Int16, Int64, ORMModel, Schema
from app.schemas.custom.accounts import (
    AccountCreateExtras,
    AccountReadExtras,
    AccountUpdateExtras,
)


class AccountCreate(AccountCreateExtras, Body):
    """The body of POST /api/v1/accounts."""

    not_null: ClassVar[Tuple[str, ...]] = ("balance", "active")

    handle: str = Field(..., max_length=40)
    balance: Optional[Decimal] = Field(None, max_digits=12, decimal_places=2)
    big_counter: Int64 = 0
    small_counter: Optional[Int16] = 7
    ratio: Optional[float] = 0.5
    active: Optional[bool] = None
    settings: Optional[Any] = Field(
        None, description='Free-form settings, e.g. {"theme": "dark"}'
    )
    avatar: Optional[bytes] = None
    session_length: Optional[timedelta] = None
    motto: Optional[str] = 'It\'s "fine" \\ really\nisn\'t it? """'
    level: AccountLevel = AccountLevel.BRONZE
    signed_up_on: Optional[date] = None
    wakes_at: Optional[time] = None
    last_seen: Optional[datetime] = None


class AccountUpdate(AccountUpdateExtras, Body):
    """The body of PATCH /api/v1/accounts/{id}: every field is optional."""

    not_null: ClassVar[Tuple[str, ...]] = (
        "handle",
        "balance",
        "big_counter",
        "active",
        "level",
    )

    handle: Optional[str] = Field(None, max_length=40)
    balance: Optional[Decimal] = Field(None, max_digits=12, decimal_places=2)
    big_counter: Optional[Int64] = None
    small_counter: Optional[Int16] = None
    ratio: Optional[float] = None
    active: Optional[bool] = None
    settings: Optional[Any] = None
    avatar: Optional[bytes] = None
    session_length: Optional[timedelta] = None
    motto: Optional[str] = None
    level: Optional[AccountLevel] = None
    signed_up_on: Optional[date] = None
    wakes_at: Optional[time] = None
    last_seen: Optional[datetime] = None


class AccountRead(AccountReadExtras, ORMModel):
    """A row of accounts as the API returns it."""

    id: UUID
    handle: str
    balance: Decimal
    big_counter: int
    small_counter: Optional[int] = None
    ratio: Optional[float] = None
    active: bool
    settings: Optional[Any] = Field(
        None, description='Free-form settings, e.g. {"theme": "dark"}'
    )
    avatar: Optional[bytes] = None
    session_length: Optional[timedelta] = None
    motto: Optional[str] = None
    level: AccountLevel
    signed_up_on: Optional[date] = None
    wakes_at: Optional[time] = None
    last_seen: Optional[datetime] = None
    created_at: datetime
    updated_at: datetime
    is_deleted: bool
    deleted_at: Optional[datetime] = None


class AccountPage(Schema):
    """One page of accounts, with the total count."""

    items: List[AccountRead]
    total: int
    limit: int
    offset: int
