"""A manager's view of their team, over HTTP: `/pulse report` and the App Home dashboard."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from sandbox import company
from tests.acceptance.conftest import Stack, wait_for

# HTTP on SQLite: who may see a report is decided in Python over rows every other
# module's PostgreSQL runs read
pytestmark = pytest.mark.databases("sqlite")

SUPPORT = company.team_members("support")


def _text(reply: object) -> str:
    return json.dumps(reply, ensure_ascii=False)


def _everyone_answers(stack: Stack, people: list[str]) -> None:
    for user in people:
        for row in [b for b in stack.latest_dm(user)["blocks"] if b["type"] == "actions"]:
            button = row["elements"][3]
            before = json.dumps(stack.latest_dm(user))
            stack.slack.click(
                user, stack.latest_dm(user), action_id=button["action_id"], value=button["value"]
            )
            wait_for(lambda user=user, before=before: json.dumps(stack.latest_dm(user)) != before)


def _home(stack: Stack, user: str) -> dict:
    before = [v for v in stack.ws.views(user) if v["type"] == "home"]
    stack.slack.app_home_opened(user)
    wait_for(lambda: [v for v in stack.ws.views(user) if v["type"] == "home"] != before)
    return next(v for v in stack.ws.views(user) if v["type"] == "home")


@pytest.fixture(scope="module")
def answered(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Stack:
    """Support's week: FCR imported, a pulse sent, six of twelve answer, the pulse closed
    (once for the module: each test reads it, none needs another's doing)."""
    monday = dt.date.today() - dt.timedelta(days=dt.date.today().weekday())
    csv = tmp_path_factory.mktemp("cx") / "cx.csv"
    csv.write_text(f"team,metric,period_start,value,sample_size\nsupport,fcr,{monday},60,90\n")
    assert stack.pulse("teams", "sync").returncode == 0
    assert stack.pulse("cx", "import", str(csv)).returncode == 0
    assert stack.pulse("send-pulse", "--team", "support").returncode == 0
    _everyone_answers(stack, SUPPORT[:6])
    stack.close_pulses()
    return stack


@pytest.mark.transports("http", "socket")
def test_the_report_is_for_managers_and_hr_only(answered: Stack) -> None:
    stack = answered
    report = _text(stack.reply_to("U0MANAGER", "report"))
    for part in (
        "Customer Support · pulse report",
        "Engagement *",
        "(6 respondents)",
        "*Participation*\\n50%",
        "*Drivers*",
        ":warning: eNPS is −100, below the −10 floor (6 answers).",  # everyone answered 3
        "*Engagement and your customers*",
        "*CSAT:* No CSAT values have been imported",
        "*First-contact resolution:* Not enough data yet",
        # how the team thinks customers felt (answered 4 → 75) against the imported FCR
        "customers rated 15 points lower than your team thought (perceived 75, measured 60;",
        "Respondents*\\n6",
        "Make a commitment",
    ):
        assert part in report, part
    assert "Last 4 weeks" in _text(stack.reply_to("U0MANAGER", "report support 4"))
    assert "reports cover 1 to 52 weeks" in _text(stack.reply_to("U0MANAGER", "report support 99"))

    for outsider in (SUPPORT[7], "U0SUCCESSLEAD"):
        refused = _text(stack.reply_to(outsider, "report support"))
        assert "Customer Support" not in refused  # not even whether it exists
        assert "Engagement" not in refused and "Respondents" not in refused

    department = _text(stack.reply_to("U0CXDIRECTOR", "report"))
    assert "Customer Experience ·" in department and "*Customer Support* · week of" in department
    assert "Respondents*\\n6" in _text(stack.reply_to("U0HRLEAD", "report support"))
    assert "All teams ·" in _text(stack.reply_to("U0HRLEAD", "report all"))


def test_the_home_dashboard_is_for_managers_only(answered: Stack) -> None:
    stack = answered
    home = _home(stack, "U0MANAGER")
    text = _text(home)
    assert "Your teams · last 12 weeks" in text and "*Customer Support* · week of" in text
    image = next(b for b in home["blocks"] if b["type"] == "image")
    chart = next(f for f in stack.ws.files() if f["id"] == image["slack_file"]["id"])
    assert chart["bytes"].startswith(b"\x89PNG") and chart["channel_id"] is None  # private
    employee = _text(_home(stack, SUPPORT[0]))
    assert "Your teams" not in employee and "Engagement" not in employee
