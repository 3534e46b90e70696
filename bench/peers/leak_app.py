# The seed article's Flask app, verbatim in behaviour: every /test keeps a 10M-element list (~78 MB).
# Used by bench/seed to run the same scenario on uWSGI and gunicorn.
import os

from flask import Flask, jsonify

app = Flask(__name__)
L = []


@app.route("/test", methods=["POST", "GET"])
def test():
    l = [10000 for _ in range(10000000)]
    L.append([l])
    return jsonify({"code": 200, "msg": "success"})


@app.route("/")
def index():
    return jsonify({"pid": os.getpid(), "kept": len(L)})
