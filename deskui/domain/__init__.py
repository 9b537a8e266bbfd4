"""Pure service-desk rules: no I/O, imports nothing from deskui but itself."""
