"""A small Flask + SQLite service, written for the security benchmark (analysis/bench/README.md).

Each line a reviewer would flag ends with `# vuln: <topic>`; each line that looks like a
finding but is not ends with `# safe: <topic>`. Unmarked lines should not be flagged.
"""

import os
import pickle
import sqlite3
import subprocess

import yaml
from flask import Flask, redirect, render_template_string, request, send_file
from markupsafe import Markup

app = Flask(__name__)
UPLOADS = "/srv/uploads"
DEFAULT_QUERY = "SELECT id, name FROM items ORDER BY id"


def db():
    return sqlite3.connect("/srv/app.db")


@app.route("/items")
def items():
    name = request.args.get("name", "")
    cur = db().cursor()
    cur.execute("SELECT id FROM items WHERE name = '%s'" % name)  # vuln: sql
    cur.execute("SELECT id FROM items WHERE name = ?", (name,))  # safe: sql
    cur.execute(DEFAULT_QUERY)  # safe: sql
    cur.execute(f"SELECT id FROM items WHERE owner = '{request.args['owner']}'")  # vuln: sql
    order = request.args.get("order", "id")
    sql = "SELECT id FROM items ORDER BY " + order  # vuln: sql
    cur.execute(sql)
    label = f"Showing items named {name}"  # safe: sql
    return {"label": label, "rows": cur.fetchall()}


@app.route("/ping")
def ping():
    host = request.args["host"]
    out = subprocess.check_output(f"ping -c 1 {host}", shell=True)  # vuln: shell
    out2 = subprocess.check_output(["ping", "-c", "1", host])  # safe: shell
    os.system("ping -c 1 " + host)  # vuln: shell
    os.system("uptime")  # safe: shell
    subprocess.run("df -h", shell=True, check=True)  # safe: shell
    return out + out2


@app.route("/calc")
def calc():
    expr = request.args["expr"]
    return str(eval(expr))  # vuln: eval


@app.route("/session", methods=["POST"])
def restore_session():
    state = pickle.loads(request.get_data())  # vuln: deserialization
    return {"keys": list(state)}


@app.route("/config", methods=["POST"])
def load_config():
    raw = request.get_data(as_text=True)
    unsafe = yaml.load(raw, Loader=yaml.Loader)  # vuln: deserialization
    safe = yaml.safe_load(raw)  # safe: deserialization
    also_safe = yaml.load(raw, Loader=yaml.SafeLoader)  # safe: deserialization
    return {"a": unsafe, "b": safe, "c": also_safe}


@app.route("/download")
def download():
    name = request.args["file"]
    return send_file(os.path.join(UPLOADS, name))  # vuln: path


@app.route("/download-safe")
def download_safe():
    name = os.path.basename(request.args["file"])
    path = os.path.realpath(os.path.join(UPLOADS, name))
    if not path.startswith(UPLOADS + os.sep):
        return "no", 400
    return send_file(path)  # safe: path


@app.route("/readme")
def readme():
    with open("/srv/README.txt") as fh:  # safe: path
        return fh.read()


@app.route("/go")
def go():
    return redirect(request.args["next"])  # vuln: redirect


@app.route("/home")
def home():
    return redirect("/")  # safe: redirect


@app.route("/hello")
def hello():
    who = request.args.get("who", "")
    page = render_template_string("<p>Hello " + who + "</p>")  # vuln: template
    greeting = Markup("<b>" + who + "</b>")  # vuln: xss
    static = Markup("<b>Welcome</b>")  # safe: xss
    return page + greeting + static


if __name__ == "__main__":
    app.run(host="127.0.0.1", port=8000, debug=True)  # vuln: debug
