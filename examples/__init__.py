"""Small complete fastcore applications."""
