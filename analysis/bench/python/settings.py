"""A Django settings module and a view, written for the security benchmark
(analysis/bench/README.md).

Each line a reviewer would flag ends with `# vuln: <topic>`; each line that looks like a
finding but is not ends with `# safe: <topic>`. Unmarked lines should not be flagged.
"""

import os

from django.db import connection
from django.http import HttpResponseRedirect
from django.utils.safestring import mark_safe
from jinja2 import Environment, FileSystemLoader, select_autoescape

DEBUG = True  # vuln: debug
SECRET_KEY = "django-insecure-7x!k2@q9z#r5w&m1p$v8n^t3b%y6c*f0"  # vuln: credential
ALLOWED_HOSTS = ["example.com"]
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "shop",
        "USER": "shop",
        "PASSWORD": os.environ.get("DB_PASSWORD", ""),  # safe: credential
    }
}
CACHE_PASSWORD = None  # safe: credential

env = Environment(loader=FileSystemLoader("templates"), autoescape=False)  # vuln: template
env_ok = Environment(loader=FileSystemLoader("templates"), autoescape=select_autoescape())  # safe: template


def search(request):
    term = request.GET["q"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM shop_item WHERE title LIKE '%%" + term + "%%'")  # vuln: sql
        cursor.execute("SELECT * FROM shop_item WHERE title LIKE %s", ["%" + term + "%"])  # safe: sql
        rows = cursor.fetchall()
    items = Item.objects.raw(f"SELECT * FROM shop_item WHERE owner = '{term}'")  # vuln: sql
    heading = mark_safe("<h1>" + term + "</h1>")  # vuln: xss
    footer = mark_safe("<hr>")  # safe: xss
    return rows, items, heading, footer


def after_login(request):
    return HttpResponseRedirect(request.GET.get("next"))  # vuln: redirect


def after_logout(request):
    return HttpResponseRedirect("/")  # safe: redirect


class Item:
    objects = None
