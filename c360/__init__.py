"""c360: Customer 360 for Slack. Application core: settings, domain, services, CLI."""

__version__ = "0.1.0"
