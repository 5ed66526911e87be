"""Asterisk queue_log: queue attempts from event lines (FORMATS.md 1a quirks)."""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl

import connectors
from connectors import asterisk_queue_log
from metrics.schema import CONTACTS, validate
from tests.conftest import FIXTURES

MADE_UP = FIXTURES / "asterisk_made_up.queue_log"
ISSUE_759 = FIXTURES / "asterisk_issue759.queue_log"


def _read(path) -> pl.DataFrame:
    batches = list(
        asterisk_queue_log.CONNECTOR.read(path, timezone="UTC", source=None, batch_rows=2)
    )
    frame = validate(pl.concat([b.frame for b in batches]), CONTACTS)
    return frame.with_columns(callid=pl.col("contact_id").str.split(":").list.first())


def _at(epoch: int) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


def test_queue_logs_are_detected_from_their_first_line():
    assert connectors.detect(MADE_UP).name == "asterisk-queue-log"
    assert connectors.detect(ISSUE_759).name == "asterisk-queue-log"


def test_each_queue_attempt_is_a_contact_and_housekeeping_lines_are_not():
    frame = _read(MADE_UP)
    assert frame.height == 5
    handled = frame.row(0, named=True)
    assert handled["contact_id"] == "1717400009.1:support:1717400010"
    assert (handled["outcome"], handled["agent_id"], handled["customer_key"]) == (
        "handled",
        "PJSIP/7001",
        "5550100",  # ENTERQUEUE with two parameters (older Asterisk)
    )
    # wait from CONNECT's holdtime in seconds; RINGNOANSWER's 5000 is milliseconds of ringing
    assert (handled["wait_seconds"], handled["talk_seconds"]) == (20, 300)
    assert (handled["arrived_at"], handled["ended_at"]) == (_at(1717400010), _at(1717400330))


def test_abandon_timeout_and_re_entry_into_the_same_queue():
    frame = _read(MADE_UP).filter(pl.col("callid") != "1717400009.1")
    outcomes = frame.select("callid", "outcome", "wait_seconds", "talk_seconds").rows()
    assert outcomes[:3] == [
        ("1717400099.3", "abandoned", 45, None),
        ("1717400199.5", "flowed_out", 60, None),
        ("1717400199.5", "handled", 9, 130),
    ]
    first, second = frame.filter(pl.col("callid") == "1717400199.5").iter_rows(named=True)
    assert second["parent_contact_id"] == first["contact_id"]


def test_an_entry_without_an_exit_is_quarantined_with_the_reason():
    orphan = _read(MADE_UP).filter(pl.col("callid") == "1717400499.7").row(0, named=True)
    assert "queue entry with no CONNECT, COMPLETE, ABANDON or EXIT line" in orphan["_reason"]


def test_an_old_entry_without_an_exit_is_lost_and_a_recent_one_in_progress(tmp_path):
    lost, recent = 1717400000, 1717400000 + 5 * 3600
    log = tmp_path / "queue_log"
    log.write_text(
        f"{lost}|1717399999.1|support|NONE|ENTERQUEUE||5550100|1\n"
        f"{recent}|1717417999.2|support|NONE|ENTERQUEUE||5550101|1\n"
        f"{recent + 60}|1717417999.3|support|NONE|ENTERQUEUE||5550102|1\n"
        f"{recent + 90}|1717417999.3|support|NONE|ABANDON|1|1|30\n"
    )
    reasons = dict(_read(log).select("callid", "_reason").rows())
    assert reasons["1717399999.1"].startswith(asterisk_queue_log.UNTERMINATED)  # 5 h to the end
    assert reasons["1717417999.2"].startswith(asterisk_queue_log.IN_PROGRESS)  # 90 s to the end
    assert reasons["1717417999.3"] is None


def test_enterqueue_parameters_in_either_order_give_the_caller(tmp_path):
    log = tmp_path / "queue_log"
    log.write_text(
        "1717400010|1717400009.1|support|NONE|ENTERQUEUE||5550100|2\n"  # url|callerid|position
        "1717400020|1717400009.1|support|NONE|ABANDON|1|2|10\n"
        "1717400030|1717400029.2|support|NONE|ENTERQUEUE||3|5550199\n"  # url|position|callerid
        "1717400040|1717400029.2|support|NONE|ABANDON|1|3|10\n"
        "1717400050|1717400049.3|support|NONE|ENTERQUEUE||101|1\n"  # a short extension calling
        "1717400060|1717400049.3|support|NONE|ABANDON|1|1|10\n"
    )
    batches = asterisk_queue_log.CONNECTOR.read(log, timezone="UTC", source=None, batch_rows=9)
    callers = pl.concat([b.raw for b in batches])["callerid"].to_list()
    assert callers == ["5550100", "5550199", "101"]


def test_issue_759_one_call_two_queues_after_an_attended_transfer():
    frame = _read(ISSUE_759)
    assert frame["_reason"].to_list() == [None, None]
    first, second = frame.iter_rows(named=True)
    assert first["contact_id"] == "1717397243.239826:1501:1717397259"
    assert (first["agent_id"], first["wait_seconds"], first["talk_seconds"]) == (
        "PJSIP/7009",
        12,
        120,  # from the ATTENDEDTRANSFER line logged under the transfer leg's callid
    )
    assert first["is_transferred"] and first["customer_key"] == "9000000001"
    assert second["contact_id"] == "1717397243.239826:1509:1717397390"
    assert second["parent_contact_id"] == first["contact_id"]
    assert (second["agent_id"], second["wait_seconds"], second["talk_seconds"]) == (
        "PJSIP/7051",
        7,
        173,
    )
    assert second["arrived_at"] == _at(1717397390)  # the transfer leg's ENTERQUEUE


def test_a_call_split_by_log_rotation_keeps_its_id(tmp_path):
    lines = ISSUE_759.read_text().splitlines()
    older, newer = tmp_path / "queue_log.1", tmp_path / "queue_log"
    older.write_text("\n".join(lines[:6]) + "\n")
    newer.write_text("\n".join(lines[6:]) + "\n")
    whole = _read(ISSUE_759)["contact_id"].to_list()
    assert whole[1] in _read(newer)["contact_id"].to_list()
    assert whole[0] in _read(older)["contact_id"].to_list()


def test_a_call_that_could_not_join_is_a_contact_at_that_second(tmp_path):
    # Builds that log JOINEMPTY/FULL for a caller who never joined write no ENTERQUEUE.
    log = tmp_path / "queue_log"
    log.write_text(
        "1717400010|1717400009.1|support|NONE|JOINEMPTY|1|1|0\n"
        "1717400020|1717400019.2|support|NONE|FULL|\n"
    )
    frame = _read(log)
    assert frame["_reason"].to_list() == [None, None]
    assert frame.select("contact_id", "arrived_at", "ended_at", "outcome").rows() == [
        ("1717400009.1:support:1717400010", _at(1717400010), _at(1717400010), "flowed_out"),
        ("1717400019.2:support:1717400020", _at(1717400020), _at(1717400020), "flowed_out"),
    ]


def test_line_numbers_count_only_newlines(tmp_path):
    # A form feed or U+2028 inside a dialplan-written line is not a line break for Asterisk.
    log = tmp_path / "queue_log"
    log.write_bytes(
        "1717400000|1717399999.1|support|NONE|INFO|note\x0cwith\u2028breaks\n"
        "1717400010|1717400009.1|support|NONE|ENTERQUEUE||5550100|1\n"
        "1717400020|1717400009.1|support|NONE|ABANDON|1|1|10\n".encode()
    )
    batches = asterisk_queue_log.CONNECTOR.read(log, timezone="UTC", source=None, batch_rows=9)
    assert pl.concat([b.raw for b in batches])["first_line"].to_list() == [2]


def test_a_garbled_duration_quarantines_its_call_not_the_file(tmp_path):
    log = tmp_path / "queue_log"
    log.write_text(
        "1717400010|1717400009.1|support|NONE|ENTERQUEUE||5550100|1\n"
        "1717400030|1717400009.1|support|PJSIP/7001|CONNECT|99999999999999999999|x|1\n"
        "1717400330|1717400009.1|support|PJSIP/7001|COMPLETECALLER|nan|300|1\n"
        "1717400100|1717400099.3|support|NONE|ENTERQUEUE||5550101|1\n"
        "1717400145|1717400099.3|support|NONE|ABANDON|1|1|45\n"
    )
    frame = _read(log)
    assert frame["_reason"][0].startswith("wait_seconds 1e+20 is outside")
    assert frame.row(1, named=True)["wait_seconds"] == 45
