"""Use cases: each one transaction, each writes ticket events. The only write path."""
