"""The security event log (JSON lines on stdout) and the audit table of admin changes."""
