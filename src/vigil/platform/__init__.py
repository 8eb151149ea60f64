"""Cross-cutting platform: settings, database, accounts, authentication, policy, audit."""
