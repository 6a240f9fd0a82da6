"""CRUD routes of Account: /api/v1/accounts."""

from datetime import datetime
from typing import Any, Dict, List, Literal, Optional
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Response
from sqlalchemy.orm import Session

from app.api.crud import (
    MAX_LIMIT,
    MAX_OFFSET,
    columns_of,
    commit_or_raise,
    errors,
    get_or_404,
    operation_id,
    page,
    refuse_unknown_query,
    sort_clause,
)
from app.core.database import get_db
from app.enums import AccountLevel
from app.models.accounts import Account
from app.schemas.accounts import AccountCreate, AccountPage, AccountRead, AccountUpdate
from app.schemas.compat import dump

router = APIRouter(
    prefix="/accounts",
    tags=["accounts"],
    dependencies=[Depends(refuse_unknown_query)],
    generate_unique_id_function=operation_id,
)

TABLE = "accounts"
COLUMNS = (
    "id",
    "handle",
    "balance",
    "big_counter",
    "small_counter",
    "ratio",
    "active",
    "settings",
    "avatar",
    "session_length",
    "motto",
    "level",
    "signed_up_on",
    "wakes_at",
    "last_seen",
    "created_at",
    "updated_at",
    "is_deleted",
    "deleted_at",
)
AccountSort = Literal[
    "id",
    "-id",
    "handle",
    "-handle",
    "balance",
    "-balance",
    "big_counter",
    "-big_counter",
    "small_counter",
    "-small_counter",
    "active",
    "-active",
    "level",
    "-level",
    "signed_up_on",
    "-signed_up_on",
    "wakes_at",
    "-wakes_at",
    "last_seen",
    "-last_seen",
    "created_at",
    "-created_at",
    "updated_at",
    "-updated_at",
]
SORT_FIELDS = {
    "id": Account.id,
    "handle": Account.handle,
    "balance": Account.balance,
    "big_counter": Account.big_counter,
    "small_counter": Account.small_counter,
    "active": Account.active,
    "level": Account.level,
    "signed_up_on": Account.signed_up_on,
    "wakes_at": Account.wakes_at,
    "last_seen": Account.last_seen,
    "created_at": Account.created_at,
    "updated_at": Account.updated_at,
}


@router.get("", response_model=AccountPage, responses=errors(422))
def list_accounts(
    limit: int = Query(20, ge=1, le=MAX_LIMIT),
    offset: int = Query(0, ge=0, le=MAX_OFFSET),
    sort: AccountSort = "id",
    include_deleted: bool = False,
    handle: Optional[str] = None,
    active: Optional[bool] = None,
    level: Optional[AccountLevel] = None,
    last_seen: Optional[datetime] = None,
    db: Session = Depends(get_db),
) -> Dict[str, Any]:
    """A page of accounts: exact-match filters, sorting, the total count."""
    conditions: List[Any] = []
    if not include_deleted:
        conditions.append(Account.is_deleted.is_(False))
    if handle is not None:
        conditions.append(Account.handle == handle)
    if active is not None:
        conditions.append(Account.active == active)
    if level is not None:
        conditions.append(Account.level == level)
    if last_seen is not None:
        conditions.append(Account.last_seen == last_seen)
    order = sort_clause(sort, SORT_FIELDS)
    return page(db, Account, conditions, order, limit, offset)


@router.post(
    "", response_model=AccountRead, status_code=201, responses=errors(409, 422)
)
def create_account(payload: AccountCreate, db: Session = Depends(get_db)) -> Account:
    """Creates a row of accounts."""
    data = dump(payload, exclude_unset=True)
    item = Account(**columns_of(data, COLUMNS))
    db.add(item)
    commit_or_raise(db, TABLE, COLUMNS)
    db.refresh(item)
    return item


@router.get("/{item_id}", response_model=AccountRead, responses=errors(404, 422))
def read_account(
    item_id: UUID, include_deleted: bool = False, db: Session = Depends(get_db)
) -> Account:
    """One row of accounts by its key."""
    return get_or_404(db, Account, item_id, include_deleted)


@router.patch("/{item_id}", response_model=AccountRead, responses=errors(404, 409, 422))
def update_account(
    item_id: UUID, payload: AccountUpdate, db: Session = Depends(get_db)
) -> Account:
    """Changes the fields sent, leaves the others."""
    item = get_or_404(db, Account, item_id, include_deleted=False)
    data = dump(payload, exclude_unset=True)
    for key, value in columns_of(data, COLUMNS).items():
        setattr(item, key, value)
    commit_or_raise(db, TABLE, COLUMNS)
    db.refresh(item)
    return item


@router.delete("/{item_id}", status_code=204, responses=errors(404, 422))
def delete_account(item_id: UUID, db: Session = Depends(get_db)) -> Response:
    """Marks the row deleted (POST .../restore brings it back)."""
    item = get_or_404(db, Account, item_id, include_deleted=False)
    item.soft_delete()
    commit_or_raise(db, TABLE, COLUMNS)
    return Response(status_code=204)


@router.post(
    "/{item_id}/restore", response_model=AccountRead, responses=errors(404, 409, 422)
)
def restore_account(item_id: UUID, db: Session = Depends(get_db)) -> Account:
    """Clears the deletion mark."""
    item = get_or_404(db, Account, item_id)
    item.restore()
    commit_or_raise(db, TABLE, COLUMNS)
    db.refresh(item)
    return item
