"""Registrations (报名): sign-up, seats, waiting list, eligibility, registration window,
roster, check-in, walk-ins, no-shows."""
