"""Pure Block Kit renderers: keyword-only values in, Slack message/view dicts out."""
