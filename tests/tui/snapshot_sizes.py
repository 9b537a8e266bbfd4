"""The terminal sizes every screen snapshot is taken at: the smallest terminal the
app supports, a common laptop terminal, and a large monitor (the issue asks for the
app to look right and stay usable from 80x24 to 200x60)."""

SIZES = [(80, 24), (160, 48), (200, 60)]
SIZE_IDS = [f"{width}x{height}" for width, height in SIZES]
