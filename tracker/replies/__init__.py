


def init_app(app) -> None:
    """Answer the workflow's draft questions, add the reply actions, number co-opinions, and
    tell signing where the issued letters are."""
    from tracker.handling import events, workflow
    from tracker.replies import actions, letter, operations, queries  # noqa: F401  (actions)
    from tracker.replies.choices import Decision
    from tracker.signing import service

    workflow.provide(latest_draft=queries.latest_draft,
                     missing_co_opinions=queries.missing_co_opinions,
                     wrote_this_round=queries.wrote_this_round,
                     levels_approved_by=queries.levels_approved_by)
    events.subscribe(operations.number_approved_opinion, workflow.Action.approve_opinion)
    service.provide_archive(by_hash=queries.issued_by_hash, by_code=queries.issued_by_code,
                            stored_file=letter.stored_letter, withheld=_withheld,
                            may_see=_may_see)
    app.jinja_env.globals.update(Decision=Decision)


def _withheld(reply) -> bool:
    """不予公开: the reply's confirmed publication decision withholds it."""
    from tracker.replies.choices import PublicationMode

    return reply.publication == PublicationMode.withheld


def _may_see(user, reply) -> bool:
    from tracker.handling.permissions import can_view_assignment

    return can_view_assignment(user, reply.assignment)
