"""Test support: loopback git and API servers, repo factories, golden runner, fake provider."""
