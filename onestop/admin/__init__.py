"""Admin pages: users, organizations, request types, extra holidays."""
