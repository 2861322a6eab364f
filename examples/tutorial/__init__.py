"""The tutorial's app: bookmarks with pages, a form, accounts, an admin and a typed API.

Built step by step in docs/tutorial/; tests/tutorial/test_tutorial.py runs it.
"""
