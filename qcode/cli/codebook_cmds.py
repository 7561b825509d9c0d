"""Commands: codebook_cmds (filled in by its issue)."""
