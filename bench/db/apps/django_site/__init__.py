"""TechEmpower database tests on Django's ORM: async views on uvicorn, sync on gunicorn."""
