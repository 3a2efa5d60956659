"""Write a local ``.env`` with a random SECRET_KEY on first run (never committed)."""

import secrets
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ENV = ROOT / ".env"

# var/ holds the SQLite database, trained models and static files (gitignored).
(ROOT / "var").mkdir(exist_ok=True)

if not ENV.exists():
    ENV.write_text(
        f"SECRET_KEY={secrets.token_urlsafe(50)}\n"
        "DEBUG=false\n"
        "ALLOWED_HOSTS=localhost,127.0.0.1,[::1]\n"
    )
    ENV.chmod(0o600)
    print(f"wrote {ENV} with a new SECRET_KEY")
