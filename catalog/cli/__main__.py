"""`python -m symcat.cli` runs the same command as the `symcat` script."""

from symcat.cli import main

main()
