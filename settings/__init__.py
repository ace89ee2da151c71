"""The ground floor: config.toml, environment settings, logging and the Slack client factory."""
