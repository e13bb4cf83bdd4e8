"""Compliance: the profiles per jurisdiction and the one gate every contact passes."""
