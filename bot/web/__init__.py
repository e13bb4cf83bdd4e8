"""Pages for people: the customer's web chat and the agents' console."""
