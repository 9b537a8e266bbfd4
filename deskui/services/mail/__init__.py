"""Mail to requesters (issue 13): notifications into the outbox, delivery over SMTP."""
