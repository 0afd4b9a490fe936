"""The words that travel, each defined once: what the log stores (a dose's status and
reason, an event's kind and source, a supply row's kind, a rating's via), what a config
names (the alerts a contact is told), what a notification server sends back (a button's
action id), what the phone page posts and whose credential it is (a role). Every module
that writes, reads, shows or checks one of them imports it from here; `tests/test_words.py`
fails on a copy spelled as a literal elsewhere (SQL text included).

None of these strings may change: the log and the configs already hold them, and an old
log must read the same. A new word is added here, beside the words of its kind.

One module rather than one beside each rule: the same spelling is several words ("taken"
is a status, the event of an answer and a button's answer; "missed" a status, an event
and an alert), and read together here their kinship and their differences show. It holds
strings and tuples only, so every room may import it at almost no cost.
"""

# --- a dose: its status (`doses.status`), and why it was given up (`doses.reason`) -------

PENDING, TAKEN, SKIPPED, MISSED = "pending", "taken", "skipped", "missed"
STATUSES = (PENDING, TAKEN, SKIPPED, MISSED)
ANSWERED = (TAKEN, SKIPPED)
# Its reminders went unanswered, or no daemon was there to send them (a reason in the
# log, written with a space; the alert of the second is NOT_RUNNING_ALERT, below).
NOT_ANSWERED, NOT_RUNNING = "not answered", "not running"
# Why a dose was skipped when the answer gave none: where the Skip was pressed.
SKIPPED_FROM_NOTIFICATION, SKIPPED_FROM_PHONE = "skipped from the notification", "skipped from the phone"
# An as-needed dose taken back: it was never waiting, so it is left skipped, and void.
RECORDED_BY_MISTAKE = "undone: recorded by mistake"
# An as-needed dose's slot (`doses.slot`) is "PRN <n>", its number that day.
AS_NEEDED_SLOT = "PRN "

# --- answers: a notification button's action id, the phone page's posted `action` -----

# A dose's own buttons and the page's. TAKE is spelled "taken", as it always was.
TAKE, SNOOZE, SKIP = "taken", "snooze", "skip"
TAKEN_ANYWAY = "taken-anyway"  # the minimum-gap warning's "Taken anyway"
# A group's: "All taken", and Taken or Skip for one dose of it (+ the dose's id).
ALL_TAKEN = "all-taken"
TAKEN_ONE, SKIP_ONE = "taken:", "skip:"
# The morning check-in's "Answer in full…" (a step's own answers are "<question>-<value>").
ANSWER_IN_FULL = "full"

# --- alerts: what a message pushed or sent is (`push-due` events' "kind") -------------

# What a [[contact]] can be told: the values of its `alerts` key in the config.
MISSED_ALERT, NOT_RUNNING_ALERT, SUMMARY = "missed", "not-running", "summary"
REPLICA_ALERT = "replica-failing"  # the replica has failed for a day (its end is REPLICA_BACK)
ALERTS = (MISSED_ALERT, NOT_RUNNING_ALERT, SUMMARY, REPLICA_ALERT)
REPLICA_BACK = "replica-back"  # the replica works again, to whoever was told of its outage
ESCALATE = "escalate"  # a reminder pushed to his own phone
RATER_ASK = "rater-ask"  # the morning message to a [[rater]]: the link to her page, nothing else
# A [[rater]] by her name, "rater:<name>": the recipient of her own messages (never a
# contact's URL), and the role of her phone's credential on the page.
RATER_PREFIX = "rater:"
PATIENT = "patient"  # the role of his own phone's credential: his page, his doses

# --- events: `events.kind` ------------------------------------------------------------

# A dose's life. An answer's event is named by the status it gives the dose (TAKEN,
# SKIPPED) and a give-up's by MISSED, so those three are the statuses above.
REMINDED, SNOOZED, CORRECTED, UNDONE = "reminded", "snoozed", "corrected", "undone"
# The morning check-in: answered (and each change of the answer), asked, left unanswered.
CHECKIN, CHECKIN_ASKED, CHECKIN_UNANSWERED = "checkin", "checkin-asked", "checkin-unanswered"
# A message to his phone or a contact, from decided to settled (see push/outbox.py).
PUSH_DUE, PUSH_TRY, PUSH_FAILED = "push-due", "push-try", "push-failed"
PUSH_SENT, PUSH_UNCONFIRMED, PUSH_CANCELLED = "push-sent", "push-unconfirmed", "push-cancelled"
# A rater's answer about a night (and each change of it), and an answer taken back.
RATING, RATING_UNDONE = "rating", "rating-undone"
# A daemon's start and clean stop: whether anyone is reminding from this log.
DAEMON_STARTED, DAEMON_STOPPED = "daemon-started", "daemon-stopped"
REFILL_WARNED = "refill-warned"
# A message to him shown on the desktop instead of sent (he has no [push]), once, as the log remembers.
NOTICE_SHOWN = "notice-shown"
# Tablets on hand: a supply row's kind (`supply.kind`), and its event "supply-<kind>".
SUPPLY_START, SUPPLY_REFILL = "start", "refill"
SUPPLY_KINDS = (SUPPLY_START, SUPPLY_REFILL)
SUPPLY_EVENT = "supply-"

# --- who recorded it: `doses.via`, `checkins.via`, `events.source` --------------------

VIA_CLI, VIA_NOTIFICATION, VIA_WINDOW, VIA_PHONE = "cli", "notification", "window", "phone"
VIA_DAEMON, VIA_CONFIG = "daemon", "config"  # what the daemon did; a count from the config
