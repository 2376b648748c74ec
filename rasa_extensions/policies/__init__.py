"""Custom dialogue policies referenced from config.yml."""
