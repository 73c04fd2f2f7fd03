"""What operators see of past runs: a history file, alert files and an optional webhook.

    WORKDIR/runs.jsonl         one JSON line per `zhifa run`/`publish` and per run the Dagster
                               daemon started (pipelines/sensors.py): when, how long, outcome
    WORKDIR/alerts/<when>-<outcome>.txt   written for every run that was not a clean publish
    ZHIFA_WEBHOOK_URL          when set, a DingTalk-style text message is posted as well; a
                               webhook that fails or times out is noted, never fails the run

Nothing here opens a connection unless a webhook URL is configured (the intranet default).
"""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

# Exit codes of `zhifa run` / `zhifa publish` (README "Exit codes").
EXIT_PUBLISHED = 0  # the site was published and every source is complete
EXIT_BLOCKED = 1  # nothing published: a step failed or a blocking check failed
EXIT_USAGE = 2  # bad arguments or missing folders; nothing was run
EXIT_INCOMPLETE = 3  # published, but a source is missing, incomplete or stale (banner on every page)
OUTCOME_EXIT = {"published": EXIT_PUBLISHED, "incomplete": EXIT_INCOMPLETE}  # a skipped night exits like its release
EXIT_BUSY = 4  # another run holds the workdir; nothing was changed
EXIT_CHECK_LOSS = 5  # `zhifa check`: a run would lose a file (unreadable, missing required column)
# or fail (reference tables missing or unreadable)
EXIT_WORKDIR = 6  # the workdir is not writable (disk full, read-only, no permission):
# nothing was published; the previous site and warehouse are unchanged

RUNS_FILE = "runs.jsonl"
ALERTS_DIR = "alerts"
KEEP_LOGS = 30  # run logs kept under WORKDIR/logs (older ones are pruned)
WEBHOOK_TIMEOUT_S = 5
OUTCOME_ZH = {
    "published": "已发布",
    "incomplete": "已发布但数据不完整",
    "blocked": "已拦截，未发布",
    "failed": "运行失败，未发布",
    "busy": "另一运行进行中",
    "usage": "参数错误",
    "unchanged": "无新数据，沿用上次发布",
}


@dataclass
class RunRecord:
    command: str
    started: str
    seconds: float
    outcome: str  # published | incomplete | blocked | failed | unchanged (nothing new: skipped)
    exit_code: int
    as_of: str | None = None
    release: str | None = None
    log: str | None = None
    reasons: list[str] = field(default_factory=list)

    def message(self) -> str:
        """The short text an alert carries (Chinese first: it goes to township staff)."""
        head = f"镇街执法数仓 {self.command}：{OUTCOME_ZH.get(self.outcome, self.outcome)}（{self.started}，数据截至 {self.as_of or '—'}）"
        return "\n".join([head, *self.reasons[:8], *([f"日志：{self.log}"] if self.log else [])])


def record_run(workdir: Path, record: RunRecord) -> None:
    workdir.mkdir(parents=True, exist_ok=True)
    path = workdir / RUNS_FILE
    torn = path.exists() and path.stat().st_size and not path.read_bytes().endswith(b"\n")
    with path.open("a", encoding="utf-8") as f:  # a line torn by a killed run stays on its own line
        f.write(("\n" if torn else "") + json.dumps(asdict(record), ensure_ascii=False) + "\n")


def read_runs(workdir: Path, last: int = 10) -> list[RunRecord]:
    path = workdir / RUNS_FILE
    if not path.exists():
        return []
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines()[-last:]:
        try:
            rows.append(RunRecord(**json.loads(line)))
        except (ValueError, TypeError):
            continue  # a line cut short by a killed run
    return rows


def needs_alert(record: RunRecord) -> bool:
    """Not a clean publish: blocked, failed, incomplete, or a skipped night whose live release is incomplete."""
    return record.outcome in ("blocked", "failed", "incomplete") or record.exit_code == EXIT_INCOMPLETE


def keep(workdir: Path, record: RunRecord) -> tuple[Path | None, str | None]:
    """Append the record to runs.jsonl and, when staff must look (`needs_alert`), write the
    alert (and post the webhook). One writer for `zhifa run` and the runs the Dagster daemon
    starts. Returns the alert file and the webhook's error, or (None, None)."""
    record_run(workdir, record)
    return alert(workdir, record, webhook_url()) if needs_alert(record) else (None, None)


def alert(workdir: Path, record: RunRecord, webhook_url: str | None = None) -> tuple[Path, str | None]:
    """Write the alert file; post to the webhook if configured. Returns (file, webhook error)."""
    folder = workdir / ALERTS_DIR
    folder.mkdir(parents=True, exist_ok=True)
    stamp = record.started.replace(":", "").replace("-", "").replace(" ", "T")
    path = folder / f"{stamp}-{record.outcome}.txt"
    path.write_text(record.message() + "\n", encoding="utf-8")
    error = post_webhook(webhook_url, record.message()) if webhook_url else None
    if error:
        with path.open("a", encoding="utf-8") as f:
            f.write(f"webhook failed: {error}\n")
    return path, error


def post_webhook(url: str, text: str, timeout: float = WEBHOOK_TIMEOUT_S) -> str | None:
    """POST {"msgtype": "text", "text": {"content": ...}}; the error as text, or None."""
    import urllib.request  # only when a webhook is configured (it is slow to import)

    body = json.dumps({"msgtype": "text", "text": {"content": text}}, ensure_ascii=False).encode("utf-8")
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"}, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (operator's URL)
            response.read(4096)
        return None
    except Exception as e:  # any failure of the webhook is reported, never raised
        return f"{type(e).__name__}: {e}"


def prune_logs(logs: Path, keep: int = KEEP_LOGS) -> None:
    files = sorted((p for p in logs.glob("*.log") if p.is_file()), key=lambda p: p.stat().st_mtime)
    for old in files[:-keep]:
        old.unlink(missing_ok=True)


def now() -> str:
    return dt.datetime.now().isoformat(sep=" ", timespec="seconds")


def webhook_url() -> str | None:
    return os.environ.get("ZHIFA_WEBHOOK_URL") or None
