"""Notifications: the outbox written with each change, message templates, and delivery."""
