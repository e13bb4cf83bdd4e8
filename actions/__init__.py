"""Rasa custom actions: thin adapters over bot/ services."""
