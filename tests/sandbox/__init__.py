"""Tests of the sandbox Slack workspace (server, state, signed sender)."""
