"""The mechanism every kind of account shares: passwords, the login flow, sessions that
end, and the access checks (staff_required, household_required, community scope)."""
