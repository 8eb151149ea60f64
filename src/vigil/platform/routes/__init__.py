"""Pages and API routes of the platform: sign-in, account, administration, audit."""
