"""Channel connectors referenced from credentials.yml."""
