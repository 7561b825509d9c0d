"""Commands: suggest_cmds (filled in by its issue)."""
