"""Notifications: whose turn it is after every move, deadline reminders, 催办, and the e-mail
and SMS that carry them, sent by jobs on the queue."""


def init_app(app) -> None:
    """Tell the people concerned after every move; queue the messages a commit wrote."""
    from tracker.handling import events
    from tracker.handling.workflow import Action
    from tracker.notifications import jobs, operations, outbox, turns  # noqa: F401 (jobs)

    events.subscribe(operations.on_extension_requested, Action.request_extension)
    events.subscribe(operations.on_extension_decided, Action.approve_extension,
                     Action.reject_extension)
    events.subscribe(turns.on_transition)
    outbox.listen()
    turns.listen()
