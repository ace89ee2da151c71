"""A local Slack workspace for the demo and the tests; production never uses it.

`Workspace` holds the state, `SandboxServer` serves it as Slack's Web API over
real HTTP (429s and injected faults included), and `SlackSender` sends the app
requests signed exactly as Slack signs them (`sandbox.socket_sender.SocketSender` sends
the same requests as Socket Mode envelopes to an app connected over its WebSocket)::

    with SandboxServer(company.seed(Workspace())) as server:
        client = WebClient(token=server.workspace.bot_token, base_url=server.url)
        slack = SlackSender(app_url + "/slack/events", signing_secret, server)
        slack.click(user, server.workspace.dm_messages(user)[-1], action_id="...")
"""

from sandbox.sender import SenderResponse, SlackSender, sign
from sandbox.server import SandboxServer
from sandbox.workspace import Workspace

__all__ = ["SandboxServer", "SenderResponse", "SlackSender", "Workspace", "sign"]
