"""The back-office console's API: what signed-in staff read and change, by role."""
