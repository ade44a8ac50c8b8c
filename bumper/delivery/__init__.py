"""How a planned change reaches the host in the remote flow: the bot branch and who owns
it, signed commits, commits through the API, the deploy link in the PR, waiting for the merge."""
