"""One module per command; each function returns the ExitCode."""
