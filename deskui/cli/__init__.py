"""The `deskui` command line (typer): deskui.cli.main builds the command and
mounts each command module's sub-commands. This package file stays empty so a
command module importing ``deskui.cli.common`` never imports the others."""
