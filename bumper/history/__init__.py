"""`bumper history`: every change of one image's references, read from the git history."""
