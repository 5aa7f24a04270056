"""`python -m pipeline` is the `upsell` command."""
from pipeline.cli import main

main()
