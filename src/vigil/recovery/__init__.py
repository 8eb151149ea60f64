"""Recovery: survivor cases, consent-first victim services, referrals, fund distribution."""
