"""Django's admin over the benchmark tables (the peer of bench/admin/run.sh).

Django's own tables (users, sessions, content types, the admin log) live in the
schema ``bench_admin_django``; the books and authors are read from
``bench_admin``, the tables fastcore's admin and sqladmin serve.
"""

#: The superuser the benchmark logs in as (the same as fastcore's).
USERNAME, PASSWORD = "bench", "plum orbit canyon 77"
