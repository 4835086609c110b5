"""In-app notifications and e-mail reminders for the people who must act next."""


def init_app(app) -> None:
    """Tell the people concerned about deadline extensions; note mail written by a commit."""
    from tracker.handling import events
    from tracker.handling.workflow import Action
    from tracker.notifications import operations, outbox

    events.subscribe(operations.on_extension_requested, Action.request_extension)
    events.subscribe(operations.on_extension_decided, Action.approve_extension,
                     Action.reject_extension)
    outbox.listen()
