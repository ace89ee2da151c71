"""Web API method handlers, one module per Slack method family, registered in `METHODS`."""

from sandbox.methods import apps, chat, conversations, files, users, views
from sandbox.methods.base import METHODS, Call

__all__ = ["METHODS", "Call", "apps", "chat", "conversations", "files", "users", "views"]
