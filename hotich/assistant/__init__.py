"""What the assistant says, as plain Python: the Rasa actions are thin adapters around this."""
