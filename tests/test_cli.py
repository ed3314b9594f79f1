"""The `qonys` command as DESIGN.md specifies it, run as a real process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from bot.i18n import Translator

QONYS = Path(sys.executable).with_name("qonys")


def qonys(*args: str, stdin: str = "", tmp: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATA_DIR": str(tmp), "SECRET_KEY": "x"}
    env.pop("TELEGRAM_BOT_TOKEN", None)
    return subprocess.run(
        [str(QONYS), *args], input=stdin, capture_output=True, text=True, env=env, timeout=60
    )


def test_chat_reads_stdin_and_prints_buttons(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'chat.db'}"
    run = qonys("chat", "--db", db, "--user", "asel", stdin="2\nПомощь\n", tmp=tmp_path)
    assert run.returncode == 0, run.stderr
    ru = Translator("ru")
    out = run.stdout
    assert "  [1] Қазақша\n  [2] Русский\n  [3] English" in out
    assert ru.gettext("What would you like to do? Choose below.") in out
    assert f"] {ru.gettext('Help')}\n" in out
    assert out.rstrip().endswith(f"  [2] {ru.gettext('Menu')}"), "the label pressed Help"

    again = qonys("chat", "--db", db, "--user", "asel", stdin="/menu\n", tmp=tmp_path)
    assert ru.gettext("What would you like to do? Choose below.") in again.stdout
    assert "Қазақша" not in again.stdout, "a known person is not greeted again"


def test_chat_with_lang_skips_the_question(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'chat.db'}"
    run = qonys("chat", "--db", db, "--lang", "en", stdin="", tmp=tmp_path)
    assert run.returncode == 0, run.stderr
    assert "What would you like to do? Choose below." in run.stdout


def test_db_upgrade(tmp_path: Path) -> None:
    run = qonys("db", "upgrade", "--db", f"sqlite:///{tmp_path / 'x.db'}", tmp=tmp_path)
    assert run.returncode == 0 and "up to date" in run.stdout


def test_run_refuses_workers_on_sqlite(tmp_path: Path) -> None:
    run = qonys("run", "--workers", "2", tmp=tmp_path)
    assert run.returncode != 0
    assert "PostgreSQL" in run.stderr


def test_unanswered_questions_report(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'chat.db'}"
    qonys("chat", "--db", db, "--lang", "ru", stdin="zzzz qqqq xxxx\n", tmp=tmp_path)
    run = qonys("unanswered", "--db", db, tmp=tmp_path)
    assert run.returncode == 0, run.stderr
    header, row = run.stdout.splitlines()
    assert header == "asked_at,lang,question,closest_section,score"
    assert ",ru,zzzz qqqq xxxx," in row


def test_users_add_list_and_disable(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'staff.db'}"
    short = qonys("users", "add", "aigul", "--region", "kostanay", "--password-stdin",
                  "--db", db, stdin="short\n", tmp=tmp_path)  # fmt: skip
    assert short.returncode != 0 and "10 characters" in short.stderr
    unknown = qonys("users", "add", "aigul", "--region", "mars", "--password-stdin",
                    "--db", db, stdin="long enough pass\n", tmp=tmp_path)  # fmt: skip
    assert unknown.returncode != 0 and "mars" in unknown.stderr
    args = ["users", "add", "Aigul", "--region", "kostanay", "--name", "Айгүл", "--password-stdin"]
    ok = qonys(*args, "--db", db, stdin="long enough pass\n", tmp=tmp_path)
    assert ok.returncode == 0, ok.stderr
    listed = qonys("users", "list", "--db", db, tmp=tmp_path).stdout
    assert "aigul\tcaseworker\tkostanay\tactive\tАйгүл" in listed
    assert "long enough pass" not in listed
    assert qonys("users", "disable", "aigul", "--db", db, tmp=tmp_path).returncode == 0
    assert "\toff\t" in qonys("users", "list", "--db", db, tmp=tmp_path).stdout
