"""The Textual app. Imported only when the app launches (never by `deskui --help`)."""
