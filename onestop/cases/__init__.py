"""A firm's requests: filing, triage, routing, comments, attachments, history."""
