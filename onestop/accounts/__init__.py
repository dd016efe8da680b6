"""Users, sign-in, invitations and sessions."""
