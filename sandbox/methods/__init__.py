"""Web API method handlers, one module per Slack method family, registered in `METHODS`."""

from sandbox.methods import chat, conversations, files, users, views
from sandbox.methods.base import METHODS, Call

__all__ = ["METHODS", "Call", "chat", "conversations", "files", "users", "views"]
