"""Oxygen Pulse's Slack edge: Bolt app, listeners, Block Kit renderers, HTTP server, Socket Mode."""
