"""Oxygen Pulse's Slack edge: settings, Bolt app, Block Kit renderers, HTTP server, CLI."""
