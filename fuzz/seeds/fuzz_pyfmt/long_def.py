from app.b import z, y
from app.a import x
import os


def read_account(item_id: int, db: Session = Depends(get_db), include_deleted: bool = Query(False, description="also a deleted account")) -> AccountRead:
    return get_or_404(db, Account, item_id, include_deleted)  # why
