"""Communities and their book rooms."""
