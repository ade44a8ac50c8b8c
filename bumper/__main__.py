"""`python -m bumper`: the same as the `bumper` console script."""

from bumper.cli import main

main()
