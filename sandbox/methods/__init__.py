"""Web API method handlers, one module per Slack method family, registered in `METHODS`."""

from sandbox.methods import chat, conversations, files, users, views
from sandbox.methods.base import METHODS, Call, check_scopes

__all__ = ["METHODS", "Call", "chat", "check_scopes", "conversations", "files", "users", "views"]
