"""The benchmark's tables as Django models (not managed: bench/admin/run.sh creates them)."""

from __future__ import annotations

from django.db import models


class Author(models.Model):
    name = models.CharField(max_length=100)

    class Meta:
        managed = False
        db_table = "bench_authors"

    def __str__(self) -> str:
        return self.name


class Book(models.Model):
    title = models.CharField(max_length=200)
    genre = models.CharField(max_length=10, choices=[("NOVEL", "Novel"), ("POETRY", "Poetry")])
    published = models.BooleanField()
    author = models.ForeignKey(Author, on_delete=models.DO_NOTHING)

    class Meta:
        managed = False
        db_table = "bench_books"

    def __str__(self) -> str:
        return self.title
