"""Commands: report_cmds (filled in by its issue)."""
