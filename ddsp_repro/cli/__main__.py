"""`python -m ddsp_repro.cli ...` = ``ddsp-repro ...``."""

from ddsp_repro.cli import main

main()
