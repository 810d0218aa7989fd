"""`c360 worker`, `c360 report`, `c360 alerts scan`: the ownership alerts' processes.

- ``c360 worker`` runs the escalation and reminder timers and sends every queued Slack message
  (alerts, re-posts, updates, DMs). Run one or several (Procfile ``worker:``); they share the
  work through row locks/leases and never send a message twice.
- ``c360 report [--json] [--since DAYS]``: time to owner, time to resolution and the share
  owned within the SLA, by team and by rule.
- ``c360 alerts scan --backlog --since DAYS``: run the rules over stored records (the backlog
  of a first import raises nothing by itself).
"""

from __future__ import annotations

import json
import logging
import signal
import sys
import threading

from c360.commands import Command, add_commands, option

log = logging.getLogger(__name__)


def register(sub) -> None:
    add_commands(sub, [
        Command("worker", "run ownership timers and send queued Slack alerts (loops until stopped)", _worker, [
            option("--once", action="store_true", help="one pass (fire due timers, send what is queued), then exit"),
            option("--poll", type=float, default=None, help="seconds between passes (default C360_WORKER_POLL_SECONDS)"),
        ]),
        Command("report", "ownership outcomes: time to owner and to resolution, share within SLA", _report, [
            option("--json", action="store_true", help="print JSON instead of a table"),
            option("--since", type=float, default=30, metavar="DAYS", help="alerts raised in the last DAYS days (default 30)"),
        ]),
        Command("alerts", "ownership alerts maintenance", actions_dest="alerts_command", actions=[
            Command("scan", "run the ownership rules over stored records", _scan, [
                option("--since", type=float, default=2, metavar="DAYS", help="records of the last DAYS days (default 2)"),
                option("--backlog", action="store_true", help="include records older than the rules file's backlog_hours"),
            ]),
        ]),
    ])  # fmt: skip


def _worker(args, container) -> int:
    sources = container.settings.sources_file
    if sources is not None and (
        container.notifier is None or not container.settings.alerts_channel
    ):
        return _sync_worker(args, container, sources)  # live sources only: no alerts to post
    service = container.ownership
    if container.notifier is None:
        print(
            "SLACK_BOT_TOKEN is not set: the worker cannot post alerts. Export it and start again.",
            file=sys.stderr,
        )
        return 2
    if not container.settings.alerts_channel:
        print(
            "C360_ALERTS_CHANNEL is not set: alerts have nowhere to go. Export a channel id (e.g. C0123ABC).",
            file=sys.stderr,
        )
        return 2
    if args.once:
        if sources is not None:
            _print_sync(container.sync.run_due(sources))
        done = service.run_once()
        print(
            f"timers fired: {done['fired']}, messages sent: {done['sent']}, still queued: {service.pending_messages()}"
        )
        return 0
    stop = _stop_event()
    if sources is not None:  # each live source on its own interval, beside the alerts
        threading.Thread(
            target=container.sync.run_schedule, args=(sources, stop), name="c360-sync", daemon=True
        ).start()
    print(
        f"c360 worker {service.worker_id}: posting to {container.settings.alerts_channel}",
        flush=True,
    )
    service.run_worker(stop=stop, poll_seconds=args.poll)
    return 0


def _stop_event() -> threading.Event:
    stop = threading.Event()

    def _stop(signum, _frame) -> None:  # finish the current message, then exit
        log.warning("worker stopping (signal %s)", signum)
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    return stop


def _sync_worker(args, container, sources) -> int:
    """`c360 worker` with C360_SOURCES_FILE and no alert settings: syncs each source on its
    interval (the sources file's `interval:`, else C360_SYNC_INTERVAL_SECONDS)."""
    if args.once:
        report = container.sync.run_due(sources)
        _print_sync(report)
        return 0 if report.completed else 1
    stop = _stop_event()
    print(f"c360 worker: syncing the sources of {sources} on their intervals", flush=True)
    container.sync.run_schedule(sources, stop, poll=args.poll or 5.0)
    return 0


def _print_sync(report) -> None:
    from c360.safety.terminal import printable

    print(printable(report.describe() if report.sources else "no source due"))


def _scan(args, container) -> int:
    created = container.ownership.scan(since_days=args.since, backlog=args.backlog)
    print(f"{len(created)} alert(s) raised; `c360 worker` posts them")
    return 0


def _report(args, container) -> int:
    from datetime import timedelta

    report = container.ownership.report(since_days=args.since)
    since = container.clock.now() - timedelta(days=args.since)
    report["feedback"] = container.moments.feedback_summary(since)
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    from c360.safety.terminal import printable

    print(printable(render_report(report)))  # team names come from a rules file
    return 0


COLUMNS = [
    ("alerts", "alerts"),
    ("owned", "owned"),
    ("resolved", "resolved"),
    ("open", "open"),
    ("median_minutes_to_owner", "to owner (min, median)"),
    ("p90_minutes_to_owner", "p90"),
    ("median_hours_to_resolution", "to resolution (h, median)"),
    ("owned_within_sla", "within SLA"),
]


def _cell(key: str, value) -> str:
    if value is None:
        return "-"
    if key == "owned_within_sla":
        return f"{value:.0%}"
    return f"{value:g}" if isinstance(value, float) else str(value)


def render_report(report: dict) -> str:
    """The terminal table: one block per grouping, a row per team or rule."""
    lines = [
        f"Ownership, {report['since'][:10]} to {report['until'][:10]} (SLA {report['sla_minutes']:g} min)"
    ]
    feedback = report.get("feedback")
    if feedback:
        votes = feedback["votes"]
        rate = feedback["wrong_customer_rate"]
        lines += [
            "",
            f"Answers: {feedback['answers']}, with feedback {feedback['answers_with_feedback']}: "
            f"helpful {votes.get('helpful', 0)}, not helpful {votes.get('not_helpful', 0)}, "
            f"wrong customer {votes.get('wrong_customer', 0)}; wrong-customer rate "
            + (f"{rate:.1%}" if rate is not None else "- (no feedback yet)"),
        ]
    for title, groups in (
        ("overall", {"all": report["overall"]}),
        ("by team", report["by_team"]),
        ("by rule", report["by_rule"]),
    ):
        names = list(groups) or ["(none)"]
        width = max(len(title), *(len(n) for n in names))
        header = f"{title:<{width}}  " + "  ".join(label for _, label in COLUMNS)
        lines += ["", header, "-" * len(header)]
        for name, metrics in groups.items():
            cells = [_cell(key, metrics.get(key)).rjust(len(label)) for key, label in COLUMNS]
            lines.append(f"{name:<{width}}  " + "  ".join(cells))
        if not groups:
            lines.append("(no alerts in this period)")
    return "\n".join(lines)
