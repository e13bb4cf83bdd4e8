"""Collections reminder bot: business services, gateway, CLI and stack supervisor."""
