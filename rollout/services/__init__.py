"""The domain: one service layer shared by the web UI, the API and the CLI."""
