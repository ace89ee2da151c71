"""Action, block and callback ids shared by the Block Kit renderers and the listeners."""

import re

ANSWER = "pulse_answer"  # action_id is f"{ANSWER}:{value}"; value "pulse:question:value"
ANSWER_PATTERN = re.compile(rf"^{ANSWER}:")
TEXT_ANSWER = "pulse_text_answer"  # opens the free-text modal; value "pulse:question"
COMMENT = "pulse_comment"  # opens the anonymous-comment modal; value "pulse:0"
COMMENT_QUESTION = 0  # stands for "the pulse's free comment" in values and metadata
TEXT_MODAL = "pulse_text_modal"  # callback_id of that modal
TEXT_BLOCK = "pulse_text_block"
TEXT_INPUT = "pulse_text_input"
HOME_PAUSE = "home_pause"
HOME_RESUME = "home_resume"
HOME_OPTOUT = "home_optout"
HOME_OPTIN = "home_optin"
HOME_DELETE_COMMENT = "home_delete_comment"  # value: pulse id
HOME_LANGUAGE = "home_language"  # static select: a language code, or "auto" (Slack's)
MYDATA_DOWNLOAD = "mydata_download"
MYDATA_ERASE = "mydata_erase"
COMMIT_OPEN = "commit_open"  # value: team key
COMMIT_MODAL = "commit_modal"
COMMIT_DRIVER_BLOCK, COMMIT_DRIVER = "commit_driver_block", "commit_driver"
COMMIT_TEXT_BLOCK, COMMIT_TEXT = "commit_text_block", "commit_text"
COCREATE_OPEN = "cocreate_open"  # value: team key
COCREATE_MODAL = "cocreate_modal"
COCREATE_OPTION = "cocreate_option"  # block_id f"{COCREATE_OPTION}:{n}", n = 1..3
REPORT_PICK = "report_pick"  # action_id f"{REPORT_PICK}:{team}"; value from report_value
REPORT_PICK_PATTERN = re.compile(rf"^{REPORT_PICK}:")
QUESTION_BLOCK = "q"  # block_id prefix: f"q:{question_id}"

COMMAND = "/pulse"


def answer_value(pulse_id: int, question_id: int, value: int) -> str:
    return f"{pulse_id}:{question_id}:{value}"


def parse_answer_value(raw: str) -> tuple[int, int, int] | None:
    """(pulse, question, value), or None for anything not made by answer_value."""
    parts = raw.split(":")
    if len(parts) != 3 or not all(p.lstrip("-").isdigit() for p in parts):
        return None
    pulse_id, question_id, value = (int(p) for p in parts)
    if pulse_id <= 0 or question_id <= 0:
        return None
    return pulse_id, question_id, value


def report_value(team_key: str, weeks: int) -> str:
    return f"{weeks}:{team_key}"


def parse_report_value(raw: str) -> tuple[str, int] | None:
    """(team key, weeks), or None for anything not made by report_value."""
    weeks, _, team_key = raw.partition(":")
    if not weeks.isdigit() or not team_key:
        return None
    return team_key, int(weeks)


# Conversations about anonymous comments (bot.conversations); every value is a comment id.
CONVO_OPEN = "convo_open"  # a manager opens a comment's thread (report, Home, relay DM)
CONVO_MODAL = "convo_modal"  # the manager's thread modal; private_metadata: comment id
CONVO_REPLY_BLOCK, CONVO_REPLY = "convo_reply_block", "convo_reply"
CONVO_LABEL_BLOCK, CONVO_LABEL = "convo_label_block", "convo_label"
CONVO_AUTHOR_OPEN = "convo_author_open"  # the author's Reply button in their DM
CONVO_AUTHOR_MODAL = "convo_author_modal"
CONVO_SIGN_BLOCK, CONVO_SIGN = "convo_sign_block", "convo_sign"
CONVO_REVEAL_MODAL = "convo_reveal_modal"  # "send with my name?" — the explicit confirmation
INBOX_FILTER_OPEN = "inbox_filter_open"
INBOX_FILTER_MODAL = "inbox_filter_modal"
INBOX_DRIVER_BLOCK, INBOX_DRIVER = "inbox_driver_block", "inbox_driver"
INBOX_TONE_BLOCK, INBOX_TONE = "inbox_tone_block", "inbox_tone"
COMMENT_ID = re.compile(r"^[0-9a-f]{16}$")  # storage.models.random_id
