"""Request and CPS profiles: loaders, schemas and the built-in TOML data (``request_profiles.toml``)."""
