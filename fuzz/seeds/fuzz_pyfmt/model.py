"""The Label model (table labels)."""

from typing import List

from sqlalchemy import Column, Integer, SmallInteger, String
from sqlalchemy.orm import relationship

from app.core.database import Base
from app.models.custom.labels import LabelExtras


class Label(LabelExtras, Base):
    __tablename__ = "labels"

    id = Column(
        SmallInteger().with_variant(Integer, "sqlite"),
        primary_key=True,
        autoincrement=True,
    )
    text = Column(String(30), nullable=False, unique=True)

    entries = relationship(
        "LedgerEntry", secondary="entry_labels", back_populates="labels"
    )

    @property
    def entrie_ids(self) -> List[int]:
        """The primary keys of entries, as the API reads and writes them."""
        return [item.id for item in self.entries]
