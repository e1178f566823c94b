"""Who may do what (design §8): roles, accounts, sign-in, sessions, the audit log and the client's
address."""
