"""Git host providers: the Provider protocol and its built-in implementations."""
