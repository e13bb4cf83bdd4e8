"""The reminder conversation: a channel-neutral state machine that Rasa's actions drive."""
