"""Family accounts and online sign-up: seats, waiting list, cancellation, check-in."""
