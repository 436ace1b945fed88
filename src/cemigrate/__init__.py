"""cemigrate: migrate help desks between Zendesk, Salesforce Service Cloud and Freshdesk."""

__version__ = "0.1.0"
