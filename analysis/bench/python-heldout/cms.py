"""Django views for a small CMS, written as a second held-out set for the security benchmark
(analysis/bench/README.md): labelled before the rules added after the first set's misses were
written, and never used to write them.

Each line a reviewer would flag ends with `# vuln: <topic>`; each line that looks like a
finding but is not ends with `# safe: <topic>`. Unmarked lines should not be flagged.
"""

import ast
import os

from defusedxml import ElementTree as SafeTree
from django.conf import settings
from django.db import connection
from django.http import FileResponse, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from lxml import etree

from .models import Comment, Page


def page(request, slug):
    rows = Page.objects.raw("SELECT * FROM cms_page WHERE slug = '%s'" % slug)  # vuln: sql
    same = Page.objects.raw("SELECT * FROM cms_page WHERE slug = %s", [slug])  # safe: sql
    with connection.cursor() as cur:
        cur.execute(f"UPDATE cms_page SET views = views + 1 WHERE slug = '{slug}'")  # vuln: sql
    return HttpResponse(str(list(rows)) + str(list(same)))


def comments(request, page_id):
    parts = []
    for c in Comment.objects.filter(page_id=page_id):
        parts.append(mark_safe(c.body))  # vuln: xss
        parts.append(mark_safe(f"<a href='{c.website}'>{c.author}</a>"))  # vuln: xss
        parts.append(format_html("<b>{}</b>", c.author))  # safe: xss
        parts.append(mark_safe("<br>"))  # safe: xss
    return HttpResponse("".join(parts))


def media(request):
    name = request.GET["file"]
    return FileResponse(open(os.path.join(settings.MEDIA_ROOT, name), "rb"))  # vuln: path


def robots(request):
    return FileResponse(open(os.path.join(settings.STATIC_ROOT, "robots.txt"), "rb"))  # safe: path


def after_login(request):
    nxt = request.GET.get("next")
    if nxt:
        return HttpResponseRedirect(nxt)  # vuln: redirect
    return HttpResponseRedirect(reverse("home"))  # safe: redirect


def import_feed(request):
    tree = etree.fromstring(request.body)  # vuln: xxe
    safe = SafeTree.fromstring(request.body)  # safe: xxe
    return HttpResponse(f"{len(tree)} {len(safe)}")


def calculate(request):
    expr = request.POST["expr"]
    literal = ast.literal_eval(request.POST["default"])  # safe: eval
    return HttpResponse(str(eval(expr)) + str(literal))  # vuln: eval
