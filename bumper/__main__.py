"""`python -m bumper`: the same as the `bumper` console script."""

from bumper.launch import main

main()
