"""The category table (GB/T 47678.5 or a city's own), kept as data on the server.

No web framework here, so the administration commands start fast.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.domain.contract import FeedKind, TaxonomyPayload
from app.domain.taxonomy import Category as TaxonomyCategory
from app.domain.taxonomy import CategoryKind, Taxonomy, load_default_taxonomy
from server.feed import append_feed
from server.models import Category


def load_taxonomy(session: Session, path: Path) -> int:
    """Replace the category table with a checked CSV file (errors name the file and line)."""
    table = Taxonomy.from_csv(path)
    session.execute(delete(Category))
    for c in table:
        session.add(
            Category(
                standard=c.standard,
                kind=c.kind.value,
                major_code=c.major_code,
                major_name=c.major_name,
                major_name_en=c.major_name_en,
                code=c.code,
                name=c.name,
                name_en=c.name_en,
            )
        )
    session.flush()
    payload: TaxonomyPayload = {"count": len(table), "source": path.name}
    append_feed(session, FeedKind.TAXONOMY, "categories", payload)
    return len(table)


def current_taxonomy(session: Session) -> Taxonomy:
    """The city's loaded category table, or the bundled GB/T 47678.5 one if none was loaded."""
    rows = list(session.scalars(select(Category).order_by(Category.id)))
    if not rows:
        return load_default_taxonomy()
    return Taxonomy(
        (
            TaxonomyCategory(
                standard=r.standard,
                kind=CategoryKind(r.kind),
                major_code=r.major_code,
                major_name=r.major_name,
                major_name_en=r.major_name_en,
                code=r.code,
                name=r.name,
                name_en=r.name_en,
            )
            for r in rows
        ),
        source="database",
    )
