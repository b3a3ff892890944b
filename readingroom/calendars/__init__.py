"""The public activity calendar: month/week/list pages, session pages, iCal feeds,
the read-only JSON API and the month poster."""
