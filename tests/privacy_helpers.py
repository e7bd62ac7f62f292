"""Looking for personal data left behind: every row of the given tables that contains a needle."""
from __future__ import annotations

from sqlalchemy import text


def rows_mentioning(engine, needles: tuple[str, ...], tables: list[str]) -> list[str]:
    found = []
    with engine.connect() as c:
        for table in tables:
            for row in c.execute(text(f'SELECT * FROM "{table}"')):
                blob = " ".join(str(v) for v in row)
                if any(n in blob for n in needles):
                    found.append(f"{table}: {blob[:160]}")
    return found
