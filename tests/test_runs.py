"""Run history, alert files and the webhook (pipelines/runs.py): a webhook that answers gets a
DingTalk-style message; one that is down or slow is noted in the alert file, never raised."""

from __future__ import annotations

import http.server
import json
import socket
import threading

from pipelines import runs


def _record(outcome="incomplete") -> runs.RunRecord:
    return runs.RunRecord(
        command="zhifa run",
        started="2022-08-25 02:30:00",
        seconds=41.5,
        outcome=outcome,
        exit_code=3,
        as_of="2022-08-24",
        log="/w/logs/nightly.log",
        reasons=["police_alarms: missing — no export in the inbox folder"],
    )


def test_history_round_trip_and_a_torn_line_is_skipped(tmp_path):
    runs.record_run(tmp_path, _record("published"))
    with (tmp_path / runs.RUNS_FILE).open("a", encoding="utf-8") as f:
        f.write('{"command": "zhifa ru')  # a run killed while writing
    runs.record_run(tmp_path, _record())
    assert [r.outcome for r in runs.read_runs(tmp_path)] == ["published", "incomplete"]


def test_alert_file_and_webhook_message(tmp_path):
    received = []

    class Hook(http.server.BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=server.handle_request, daemon=True).start()
    path, error = runs.alert(tmp_path, _record(), f"http://127.0.0.1:{server.server_port}/robot/send")
    server.server_close()
    assert error is None
    assert received[0]["msgtype"] == "text"
    assert "已发布但数据不完整" in received[0]["text"]["content"]
    assert "police_alarms: missing" in received[0]["text"]["content"]
    assert path.name == "20220825T023000-incomplete.txt"
    assert "数据截至 2022-08-24" in path.read_text(encoding="utf-8")


def test_a_dead_or_silent_webhook_never_fails_the_run(tmp_path):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    path, error = runs.alert(tmp_path, _record("blocked"), f"http://127.0.0.1:{closed}/")
    assert error and "refused" in error.lower()
    assert "webhook failed" in path.read_text(encoding="utf-8")

    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(1)  # accepts the connection, never answers
    try:
        error = runs.post_webhook(f"http://127.0.0.1:{silent.getsockname()[1]}/", "x", timeout=0.5)
    finally:
        silent.close()
    assert error and "timed out" in error.lower()
