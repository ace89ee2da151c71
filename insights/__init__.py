"""Pure engagement analytics and the question bank: no Slack, no database sessions."""
