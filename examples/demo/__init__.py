"""The fastcore demo application (see app.py); run it with ``python -m examples.demo``."""
