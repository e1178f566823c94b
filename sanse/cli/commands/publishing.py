"""`sanse publish` and `export`: a day's bulletin (第N期) or a period's 通报, and the published
file in one of its formats."""

from __future__ import annotations

from sanse.cli.arguments import within_campaign
from sanse.cli.commands.accounts import publisher
from sanse.cli.outcome import OK, BadInput, noted
from sanse.deployment.home import Home
from sanse.ranking.rulebook import settings_in_force

DRAFT_OPTIONS = {
    "editor_note": "编者按/工作要求",
    "signer": "签发人",
    "report_to": "报送",
    "copy_to": "抄送",
    "correction_note": "更正说明 (required to publish a day again)",
}


def cmd_publish(home: Home, args) -> int:
    from sanse.access.roles import Forbidden
    from sanse.publishing.issue import BulletinError
    from sanse.publishing.publish import Draft, MissingReports, publish_bulletin
    from sanse.sending.publication import queue_messages
    from sanse.sending.queue import queue_new_items

    within_campaign(settings_in_force(home), args.period or args.date, "不能发布")
    try:
        draft = Draft(**{field: getattr(args, field) for field in DRAFT_OPTIONS})
        issue = publish_bulletin(
            home,
            args.period or args.date,
            by=publisher(home, args.by),
            draft=draft,
            confirm_missing=args.confirm_missing,
            then=queue_messages,
            announce=queue_new_items,
        )
    except MissingReports as exc:
        raise BadInput(f"{exc}。等截止时间过后再发布，或确认现在发布：加 --confirm-missing") from exc
    except (Forbidden, BulletinError) as exc:
        raise BadInput(str(exc)) from exc
    when = issue.day if issue.period_kind == "day" else issue.when
    done = f"已发布《{issue.title}》{issue.number_label}（{when}）{'更正版' if issue.correction else ''}"
    noted(done)
    print(done)
    return OK


def cmd_export(home: Home, args) -> int:
    from sanse.publishing.exports import export_issue
    from sanse.publishing.issue import load_issue

    issue = load_issue(home, args.period or args.date)
    if issue is None and args.period is not None:
        raise BadInput(f"{args.period.label}还没有发布通报：请先 sanse publish --period {args.period.key}")
    if issue is None:
        raise BadInput(f"{args.date} 还没有发布《每日工作动态》：请先 sanse publish --date {args.date}")
    content = export_issue(issue, args.format)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    temporary = args.out.with_name(f".{args.out.name}.tmp")
    temporary.write_bytes(content)
    temporary.replace(args.out)  # a reader never sees half a file
    print(f"已导出 {args.out}")
    return OK
