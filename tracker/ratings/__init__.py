"""满意度测评: each author rates an issued reply (a personal link, or the paper form entered by
a clerk); the item's rating follows from all answers; 不满意 sends the item back for a second
reply; the supervising office closes the item and grades the handling."""


def init_app(app) -> None:
    """Answer the workflow's rating questions, add 办结, queue the rating e-mails at 发文,
    build their bodies when sent, the ratings panel and who may download a scanned form."""
    from tracker.files.views import register_download_rule
    from tracker.handling import events, workflow
    from tracker.notifications import outbox
    from tracker.ratings import (  # noqa: F401  (batch: its job)
        actions,
        batch,
        operations,
        permissions,
        queries,
        templating,
    )

    workflow.provide(rated_unsatisfied=queries.rated_unsatisfied,
                     rating_period_over=queries.rating_period_over)
    events.subscribe(operations.queue_emails_at_issue, workflow.Action.issue)
    outbox.register_body("rating_link", operations.rating_link_body)
    templating.register(app)
    register_download_rule(permissions.download_rule)
