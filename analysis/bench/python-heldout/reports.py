"""A Flask report service, written as a second held-out set for the security benchmark
(analysis/bench/README.md): labelled before the rules added after the first set's misses were
written, and never used to write them.

Each line a reviewer would flag ends with `# vuln: <topic>`; each line that looks like a
finding but is not ends with `# safe: <topic>`. Unmarked lines should not be flagged.
"""

import os
import sqlite3
import subprocess

import yaml
from flask import Flask, redirect, render_template_string, request, send_file, url_for
from markupsafe import Markup, escape

app = Flask(__name__)
REPORTS = "/srv/reports"
HEADER = "<h1>{{ title }}</h1><p>{{ subtitle }}</p>"


def connect():
    return sqlite3.connect(os.environ.get("REPORTS_DB", "/srv/reports.db"))


@app.route("/reports/<int:report_id>")
def show(report_id):
    layout = request.args.get("layout", HEADER)
    page = render_template_string(layout, title="Report", subtitle=str(report_id))  # vuln: template
    head = render_template_string(HEADER, title="Report", subtitle=str(report_id))  # safe: template
    body = render_template_string("<ul>{% for r in rows %}<li>{{ r }}</li>{% endfor %}</ul>", rows=[])  # safe: template
    return head + page + body


@app.route("/reports/download")
def download():
    name = request.args["name"]
    return send_file(os.path.join(REPORTS, name))  # vuln: path


@app.route("/reports/summary")
def summary():
    return send_file(os.path.join(REPORTS, "summary.pdf"), mimetype="application/pdf")  # safe: path


@app.route("/reports/owner")
def owner():
    who = request.args.get("who", "")
    banner = Markup(f"<strong>Owner:</strong> {who}")  # vuln: xss
    rule = Markup("<hr class='divider'>")  # safe: xss
    shown = escape(who)  # safe: xss
    return str(banner) + str(rule) + str(shown)


@app.route("/reports/search")
def search():
    term = request.args.get("q", "")
    cur = connect().cursor()
    cur.execute("SELECT id, title FROM reports WHERE title LIKE '%%%s%%'" % term)  # vuln: sql
    cur.execute("SELECT id, title FROM reports WHERE title LIKE ?", (f"%{term}%",))  # safe: sql
    return {"rows": cur.fetchall()}


@app.route("/reports/render", methods=["POST"])
def render_pdf():
    spec = yaml.load(request.get_data(), Loader=yaml.SafeLoader)  # safe: deserialization
    out = spec.get("output", "report.pdf")
    subprocess.run(f"wkhtmltopdf /srv/tmp/page.html {out}", shell=True, check=True)  # vuln: shell
    subprocess.run(["wkhtmltopdf", "/srv/tmp/page.html", out], check=True)  # safe: shell
    return {"ok": True}


@app.route("/reports/done")
def done():
    target = request.args.get("next")
    if target:
        return redirect(target)  # vuln: redirect
    return redirect(url_for("search"))  # safe: redirect


if __name__ == "__main__":
    app.run(host="127.0.0.1", port=8080, debug=False)  # safe: debug
