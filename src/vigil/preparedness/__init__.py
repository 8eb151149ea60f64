"""Prepare communities: protected sites, risk, mitigation plans under a budget, patrols."""
