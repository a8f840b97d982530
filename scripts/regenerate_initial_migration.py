"""Regenerate the initial migration from the models (only while no release has shipped).

Once Moisson has been deployed anywhere, schema changes get a new revision instead:
`alembic revision --autogenerate -m "..."`.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

from alembic import command

from moisson.storage.migrate import MIGRATIONS_DIR, alembic_config

TARGET = MIGRATIONS_DIR / "versions" / "0001_initial_schema.py"


def main() -> None:
    TARGET.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        config = alembic_config(f"sqlite:///{Path(tmp) / 'empty.db'}")
        script = command.revision(
            config, message="initial schema", autogenerate=True, rev_id="0001"
        )
    generated = Path(script.path)  # type: ignore[union-attr]
    text = generated.read_text()
    # Autogenerate renders JSONB's text type unqualified; the module imports `sa` only.
    text = re.sub(r"(?<![.\w])Text\(\)", "sa.Text()", text)
    TARGET.write_text(text)
    if generated != TARGET:
        generated.unlink()
    print(f"wrote {TARGET}")


if __name__ == "__main__":
    main()
