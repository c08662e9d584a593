#!/usr/bin/env python3
"""feedparser's conformance corpus through the real `caliber` binary.

Obtains feedparser 6.0.11's own test feeds (tests/wellformed, tests/illformed: ~1,760 small
documents, each with an `Expect:` line) from its source distribution on PyPI, serves them
on 127.0.0.1, adds every one as a source to one fresh database, runs ONE `caliber sync`,
reads the articles back with `caliber articles --json`, and scores every expectation that
maps onto our article contract. The mapping rules are in README.md next to this file.

Fails (exit 1) when the score is below tests/conformance/floor.json, overall or in any
category, or when a feed that has entries is reported `ok` with 0 articles.

    python3 tests/conformance/run.py [--caliber target/debug/caliber] [--corpus DIR]
                                     [--verbose] [--only SUBSTRING] [--json OUT]
"""

import argparse
import ast
import calendar
import email.utils
import hashlib
import html.parser
import io
import json
import os
import re
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from datetime import datetime, timezone
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SDIST = "feedparser-6.0.11.tar.gz"
SDIST_URL = "https://files.pythonhosted.org/packages/source/f/feedparser/" + SDIST
SDIST_SHA256 = "c9d0407b64c6f2a065d0ebb292c2b35c01050cc0dc33757461aaabdc4c4184d5"
# feedparser's own test server: expectations that name it are rewritten to ours.
FEEDPARSER_ORIGIN = "http://127.0.0.1:8097"


# ---------------------------------------------------------------- the corpus

def obtain_corpus(cache):
    """tests/ of feedparser's sdist, downloaded once (pinned by SHA-256) into `cache`."""
    root = os.path.join(cache, "feedparser-6.0.11")
    if os.path.isdir(os.path.join(root, "tests", "wellformed")):
        return root
    os.makedirs(cache, exist_ok=True)
    tarball = os.environ.get("CALIBER_CONFORMANCE_SDIST") or os.path.join(cache, SDIST)
    if not os.path.exists(tarball):
        # PyPI's own client first (as the issue asks), the file's URL if pip is missing.
        print("conformance: pip download feedparser==6.0.11 --no-binary :all: --no-deps", file=sys.stderr)
        pip = subprocess.run([sys.executable, "-m", "pip", "download", "feedparser==6.0.11", "--no-binary", ":all:",
                              "--no-deps", "-d", cache], capture_output=True, text=True)
        if pip.returncode != 0 or not os.path.exists(tarball):
            print(f"conformance: pip failed ({pip.stderr.strip()[-300:]}); downloading {SDIST_URL}", file=sys.stderr)
            with urllib.request.urlopen(SDIST_URL, timeout=120) as r:
                data = r.read()
            with open(tarball + ".part", "wb") as f:
                f.write(data)
            os.replace(tarball + ".part", tarball)
    with open(tarball, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    if digest != SDIST_SHA256:
        sys.exit(f"conformance: {tarball} has SHA-256 {digest}, expected {SDIST_SHA256}")
    with tarfile.open(tarball) as tar:
        wanted = [m for m in tar.getmembers()
                  if m.isfile() and (m.name.startswith("feedparser-6.0.11/tests/wellformed/")
                                     or m.name.startswith("feedparser-6.0.11/tests/illformed/")
                                     or m.name == "feedparser-6.0.11/LICENSE")]
        tar.extractall(cache, members=wanted, **({"filter": "data"} if hasattr(tarfile, "data_filter") else {}))
    return root


def load_tests(corpus):
    tests = []
    for kind in ("wellformed", "illformed"):
        base = os.path.join(corpus, "tests", kind)
        for dirpath, _, names in os.walk(base):
            for name in sorted(names):
                if not name.endswith(".xml"):
                    continue
                path = os.path.join(dirpath, name)
                rel = os.path.relpath(path, os.path.join(corpus, "tests"))
                with open(path, "rb") as f:
                    raw = f.read()
                m = re.search(rb"^\s*Expect:\s*(.*?)\s*$", raw, re.M)
                parts = rel.split(os.sep)
                category = parts[1] if kind == "wellformed" else "illformed"
                headers = {k.decode().strip(): v.decode().strip()
                           for k, v in re.findall(rb"^Header:\s+([^:]+):(.+)$", raw, re.M)}
                tests.append({"file": rel.replace(os.sep, "/"), "category": category, "raw": raw,
                              "expect": m.group(1).decode("utf-8", "replace") if m else None,
                              "headers": headers})
    tests.sort(key=lambda t: t["file"])
    return tests


# ---------------------------------------------------------------- which expectations apply

# Paths under entries[N] that map onto an article (see README.md). Anything else (feed-level
# facts, language, enclosures' lengths, geo, iTunes, ...) makes the expectation not applicable.
APPLICABLE = {
    ("title",): "title", ("title_detail", "value"): "title",
    ("description",): "summary", ("summary",): "summary", ("summary_detail", "value"): "summary",
    ("content", "N", "value"): "content",
    ("link",): "link", ("has_key",): "has_key", ("get",): "get",
    ("id",): "id", ("guid",): "id",
    ("author",): "author", ("author_detail", "name"): "author", ("authors", "N", "name"): "author",
    ("tags", "N", "term"): "category", ("tags",): "category", ("category",): "category",
    ("published_parsed",): "date", ("published",): "date", ("issued_parsed",): "date",
    ("updated_parsed",): "date", ("updated",): "date", ("modified_parsed",): "date",
    ("created_parsed",): "date", ("created",): "date", ("date_parsed",): "date",
    ("media_thumbnail", "N", "url"): "image", ("image", "href"): "image",
}
ALLOWED_NAMES = {"entries", "bozo", "len", "True", "False", "None"}


def chain(node):
    keys = []
    while isinstance(node, (ast.Subscript, ast.Attribute, ast.Call)):
        if isinstance(node, ast.Call):
            node = node.func
            continue
        if isinstance(node, ast.Subscript):
            s = node.slice
            keys.append("N" if isinstance(s, ast.Constant) and isinstance(s.value, int)
                        else s.value if isinstance(s, ast.Constant) else "?")
        else:
            keys.append(node.attr)
        node = node.value
    return (node.id if isinstance(node, ast.Name) else None), list(reversed(keys))


def applicability(expect):
    """(applicable, reason). Only `entries` paths in APPLICABLE and `len(entries)` qualify."""
    if not expect:
        return False, "no expectation"
    expr = strip_bozo(expect)
    if expr is None:
        return False, "only about bozo"
    try:
        tree = ast.parse(expr, mode="eval")
    except SyntaxError:
        return False, "unparsable expectation"
    inner = set()
    for n in ast.walk(tree):
        if isinstance(n, (ast.Subscript, ast.Attribute)):
            inner.add(id(n.value))
        if isinstance(n, ast.Call):
            inner.add(id(n.func))
    touched = False
    for n in ast.walk(tree):
        if isinstance(n, ast.Name) and n.id not in ALLOWED_NAMES:
            return False, f"about {n.id}"
        if isinstance(n, (ast.Subscript, ast.Attribute)) and id(n) not in inner:
            name, keys = chain(n)
            if name != "entries":
                return False, f"about {name}"
            path = tuple(keys[1:])
            if not keys or keys[0] != "N" or path not in APPLICABLE:
                return False, "entries[" + "][".join(map(str, keys)) + "]"
            touched = True
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "len":
            touched = True
    return touched, "" if touched else "not about entries"


def strip_bozo(expect):
    expr = expect.strip()
    expr = re.sub(r"^\(?\s*not\s+bozo\s*\)?\s+and\s+", "", expr)
    expr = re.sub(r"^bozo\s+and\s+", "", expr)
    expr = re.sub(r"\s+and\s+not\s+bozo\s*$", "", expr)
    if re.fullmatch(r"(not\s+)?bozo", expr.strip()) or "bozo" in expr:
        return None
    return expr


# ---------------------------------------------------------------- comparing like for like

class TextOf(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.out, self.urls, self.skip = [], set(), 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self.skip += 1
        for k, v in attrs:
            if k in ("href", "src") and v:
                self.urls.add(v.strip())
        self.out.append(" ")

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self.skip:
            self.skip -= 1
        self.out.append(" ")

    def handle_data(self, data):
        if not self.skip:
            self.out.append(data)


def parse_html(s):
    p = TextOf()
    p.feed(s or "")
    p.close()
    return "".join(p.out), p.urls


def squash(s):
    """Whitespace-insensitive form of a text."""
    return "".join((s or "").split())


def norm_url(u, base):
    if u is None:
        return None
    try:
        absolute = urllib.parse.urljoin(base, u.strip())
        p = urllib.parse.urlsplit(absolute)
        path = p.path or "/"
        query = "&".join(q for q in p.query.split("&") if q and not q.startswith("utm_") and not q.startswith("fbclid="))
        return urllib.parse.urlunsplit((p.scheme.lower(), p.netloc.lower(), urllib.parse.unquote(path), urllib.parse.unquote(query), ""))
    except ValueError:
        return u


def web_urls(urls, base):
    out = set()
    for u in urls:
        n = norm_url(u, base)
        if n and n.split(":", 1)[0] in ("http", "https"):
            out.add(n)
    return out


# The expected-value wrappers below define only __eq__: Python 3 derives != from it
# (NotImplemented included), and a class defining __eq__ must name its own __hash__.


class Ctx:
    def __init__(self, feed_url):
        self.base = feed_url


class Text:
    """A plain-text field (title): equal to the expected value read as text or as HTML."""

    def __init__(self, value):
        self.value = value or ""

    def candidates(self, expected):
        return {squash(expected), squash(parse_html(expected)[0])}

    def __eq__(self, other):
        if other is None:
            return not self.value
        if not isinstance(other, str):
            return NotImplemented
        return squash(self.value) in self.candidates(other)

    def __contains__(self, item):
        return squash(item) in squash(self.value) or squash(parse_html(item)[0]) in squash(self.value)

    def __bool__(self):
        return bool(self.value)

    def __hash__(self):
        return hash(self.value)

    def __repr__(self):
        return repr(self.value)


class Html:
    """An HTML field: its text must equal the expected's text, and its http(s) links and
    pictures the expected's (a stricter sanitiser may drop markup, never words or links).
    `plain` is the stored plain-text summary, which may carry the text without links."""

    def __init__(self, html_value, base, plain=None):
        self.html, self.base, self.plain = html_value or "", base, plain

    def __eq__(self, other):
        if other is None:
            return not self.html
        if not isinstance(other, str):
            return NotImplemented
        text, urls = parse_html(self.html)
        exp_text, exp_urls = parse_html(other)
        same_text = squash(text) in (squash(exp_text), squash(other))
        if same_text and web_urls(urls, self.base) == web_urls(exp_urls, self.base):
            return True
        return self.plain is not None and squash(self.plain) in (squash(exp_text), squash(other))

    def __contains__(self, item):
        text = squash(parse_html(self.html)[0]) + squash(self.plain or "")
        return squash(parse_html(item)[0]) in text or squash(item) in text

    def __bool__(self):
        return bool(self.html or self.plain)

    def __hash__(self):
        return hash(self.html)

    def __repr__(self):
        return repr(self.html)


class Link:
    def __init__(self, value, base):
        self.value, self.base = value, base

    def __eq__(self, other):
        if other is None or isinstance(other, str):
            return norm_url(self.value, self.base) == norm_url(other, self.base)
        return NotImplemented

    def __bool__(self):
        return bool(self.value)

    def __hash__(self):
        return hash(self.value)

    def __repr__(self):
        return repr(self.value)


class Ident(Link):
    def __eq__(self, other):
        if other is None or isinstance(other, str):
            mine, theirs = (self.value or "").strip(), (other or "").strip()
            return mine == theirs or mine == norm_url(theirs, self.base)
        return NotImplemented


class Author(Text):
    """Names, not addresses: `me@example.com (Name)` and `Name (me@example.com)` mean Name."""

    def __eq__(self, other):
        if isinstance(other, str):
            m = re.fullmatch(r"\s*\S+@\S+\s*\((.*)\)\s*", other) or re.fullmatch(r"\s*(.*?)\s*\(\S+@\S+\)\s*", other)
            if m and squash(self.value) == squash(m.group(1)):
                return True
        return super().__eq__(other)


def parse_instant(s):
    s = s.strip()
    try:
        return email.utils.parsedate_to_datetime(s).astimezone(timezone.utc).replace(tzinfo=timezone.utc)
    except (TypeError, ValueError, IndexError):
        pass
    s2 = s.replace("Z", "+00:00")
    for candidate in (s2, re.sub(r"([+-]\d\d)(\d\d)$", r"\1:\2", s2)):
        try:
            d = datetime.fromisoformat(candidate)
            if d.tzinfo is None:
                d = d.replace(tzinfo=timezone.utc)
            return d.astimezone(timezone.utc)
        except ValueError:
            pass
    return None


class Instant:
    def __init__(self, value):
        self.value = value  # datetime in UTC or None

    def __eq__(self, other):
        if self.value is None:
            return other is None
        if isinstance(other, (tuple, time.struct_time)):
            return calendar.timegm(tuple(other)[:6] + (0, 0, 0)) == int(self.value.timestamp())
        if isinstance(other, str):
            theirs = parse_instant(other)
            return theirs is not None and int(theirs.timestamp()) == int(self.value.timestamp())
        return NotImplemented

    def __hash__(self):
        return hash(self.value)

    def __repr__(self):
        return repr(self.value and self.value.isoformat())


class Obj(dict):
    """A dict whose keys also read as attributes, as feedparser's do (`entries[0].tags[0].term`)."""

    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name)


class Entry(dict):
    def __init__(self, a, base):
        super().__init__()
        published = datetime.fromisoformat(a["published_at"].replace("Z", "+00:00")) if a.get("published_at") else None
        updated = a.get("updated_at")
        updated = datetime.fromisoformat(updated.replace("Z", "+00:00")) if updated else published
        content = Html(a.get("content_html"), base)
        summary = Html(a.get("content_html"), base, plain=a.get("summary"))
        author = Author(a.get("author"))
        names = [n for n in (a.get("author") or "").split(", ") if n]
        cats = a.get("categories") or []
        values = {
            "title": Text(a.get("title")), "title_detail": {"value": Text(a.get("title"))},
            "description": summary, "summary": summary, "summary_detail": {"value": summary},
            "content": [{"value": content}],
            "id": Ident(a.get("guid"), base), "guid": Ident(a.get("guid"), base),
            "author": author, "author_detail": {"name": author}, "authors": [{"name": Author(n)} for n in names],
            "tags": [{"term": Text(c)} for c in cats], "category": Text(cats[0]) if cats else None,
            "published_parsed": Instant(published), "published": Instant(published), "issued_parsed": Instant(published),
            "created_parsed": Instant(published), "created": Instant(published), "date_parsed": Instant(published),
            "updated_parsed": Instant(updated), "updated": Instant(updated), "modified_parsed": Instant(updated),
            "media_thumbnail": [{"url": Link(a.get("image_url"), base)}], "image": {"href": Link(a.get("image_url"), base)},
        }
        if a.get("url"):
            values["link"] = Link(a.get("url"), base)
        wrap = lambda v: Obj({k: wrap(x) for k, x in v.items()}) if isinstance(v, dict) else [wrap(x) for x in v] if isinstance(v, list) else v
        self.update({k: wrap(v) for k, v in values.items()})

    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name)

    def has_key(self, k):
        return k in self


def score(test, articles, base):
    expr = strip_bozo(test["expect"]).replace(FEEDPARSER_ORIGIN, base.split("/tests/")[0])
    entries = [Entry(a, base) for a in articles]
    try:
        ok = eval(compile(expr, test["file"], "eval"), {"__builtins__": {"len": len}}, {"entries": entries})
        return bool(ok), ""
    except Exception as e:  # an entry or field we do not have
        return False, f"{type(e).__name__}: {e}"


# ---------------------------------------------------------------- serving and syncing

def count_entries(raw):
    body = re.sub(rb"<!--.*?-->", b"", raw, flags=re.S)
    return len(re.findall(rb"<(?:[A-Za-z0-9_]+:)?(?:item|entry|ITEM)[\s>/]", body))


def has_entries(raw):
    return count_entries(raw) > 0


def serve(tests):
    by_path = {"/tests/" + t["file"]: t for t in tests}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            target = urllib.parse.urlsplit(self.path)
            local = target.netloc in ("", f"127.0.0.1:{self.server.server_port}")
            test = by_path.get(target.path) if local else None
            if test is None:
                # Anything else (article pages for full text, through the proxy): not here.
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            headers = dict(test["headers"])
            status = int(headers.pop("Status", 200))
            self.send_response(status)
            ctype = next((v for k, v in headers.items() if k.lower() == "content-type"), "application/xml")
            self.send_header("Content-Type", ctype)
            for k, v in headers.items():
                if k.lower() not in ("content-type", "content-length", "content-encoding"):
                    self.send_header(k, v)
            self.send_header("Content-Length", str(len(test["raw"])))
            self.end_headers()
            self.wfile.write(test["raw"])

        def do_CONNECT(self):
            self.send_response(403)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def sync_all(caliber, db, tests, env):
    """Add `tests` to a fresh database, sync once: ({url: report}, {url: [articles]})."""
    urls = [t["url"] for t in tests]
    for i in range(0, len(urls), 400):
        run_caliber(caliber, db, "sources", "add", *urls[i:i + 400], env=env)
    report = json.loads(run_caliber(caliber, db, "sync", "--json", "--no-images", env=env))
    articles = json.loads(run_caliber(caliber, db, "articles", "--json", "--limit", "4000000000", env=env))
    by_source = {}
    for a in sorted(articles, key=lambda a: a["id"]):
        by_source.setdefault(a["source_url"], []).append(a)
    return {s["url"]: s for s in report["sources"]}, by_source


def run_caliber(caliber, db, *args, env=None):
    r = subprocess.run([caliber, "--db", db, *args], capture_output=True, text=True, env=env)
    if r.returncode != 0:
        sys.exit(f"conformance: caliber {' '.join(args[:3])} failed ({r.returncode}): {r.stderr.strip()[:2000]}")
    return r.stdout


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--caliber", default=os.path.join(ROOT, "target", "debug", "caliber"))
    ap.add_argument("--corpus", help="feedparser-6.0.11 directory (default: downloaded into target/conformance)")
    ap.add_argument("--only", help="only test files whose path contains this")
    ap.add_argument("--verbose", "-v", action="store_true", help="list every failing test")
    ap.add_argument("--json", help="write every result to this file")
    ap.add_argument("--floor", default=os.path.join(HERE, "floor.json"))
    args = ap.parse_args()

    started = time.time()
    corpus = args.corpus or obtain_corpus(os.path.join(ROOT, "target", "conformance"))
    tests = load_tests(corpus)
    if args.only:
        tests = [t for t in tests if args.only in t["file"]]
    server = serve(tests)
    origin = f"http://127.0.0.1:{server.server_port}"
    for t in tests:
        t["url"] = f"{origin}/tests/{t['file']}"

    # Everything not on 127.0.0.1 (full-text fetches of example.com links) goes to our
    # server through the proxy and gets a 404: the run needs no network.
    env = dict(os.environ, http_proxy=origin, HTTP_PROXY=origin, https_proxy=origin, HTTPS_PROXY=origin,
               no_proxy="", NO_PROXY="", all_proxy="", ALL_PROXY="")
    with tempfile.TemporaryDirectory() as tmp:
        status, by_source = sync_all(args.caliber, os.path.join(tmp, "all.db"), tests, env)
        # One database stores a story once across sources (same link): documents that share
        # links with others, and have fewer articles than entries, are synced again alone.
        again = [t for t in tests if status.get(t["url"], {}).get("status") == "ok"
                 and len(by_source.get(t["url"], [])) < count_entries(t["raw"])]
        with ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2)) as pool:
            for alone_status, alone_articles in pool.map(
                    lambda it: sync_all(args.caliber, os.path.join(tmp, f"alone{it[0]}.db"), [it[1]], env), enumerate(again)):
                status.update(alone_status)
                by_source.update(alone_articles)
    server.shutdown()

    results, silent = [], []
    for t in tests:
        s = status.get(t["url"], {"status": "missing", "error": "not in the sync report"})
        arts = by_source.get(t["url"], [])
        if s["status"] == "ok" and not arts and has_entries(t["raw"]):
            silent.append(t["file"])
        applicable, why = applicability(t["expect"])
        r = {"file": t["file"], "category": t["category"], "applicable": applicable, "expect": t["expect"],
             "status": s["status"], "error": s.get("error"), "articles": len(arts)}
        if applicable:
            r["pass"], r["why"] = score(t, arts, t["url"])
            if not r["pass"] and arts:
                r["got"] = {k: arts[0].get(k) for k in ("title", "url", "guid", "summary", "content_html", "author", "categories", "published_at", "image_url")}
            if not r["pass"] and not r["why"]:
                r["why"] = f"status {s['status']}, {len(arts)} articles" + (f": {s.get('error')}" if s.get("error") else "")
        else:
            r["why"] = why
        results.append(r)

    cats = {}
    for r in results:
        if r["applicable"]:
            c = cats.setdefault(r["category"], [0, 0])
            c[0] += 1
            c[1] += r["pass"]
    total = sum(c[0] for c in cats.values())
    passed = sum(c[1] for c in cats.values())

    if args.verbose:
        for r in results:
            if r["applicable"] and not r["pass"]:
                print(f"FAIL {r['file']}: {r['expect']}\n     {r['why']}")
    print(f"{'category':<16}{'applicable':>11}{'pass':>7}{'%':>8}")
    for name in sorted(cats, key=lambda n: (-cats[n][0], n)):
        n, p = cats[name]
        print(f"{name:<16}{n:>11}{p:>7}{100 * p / n:>7.1f}%")
    print(f"{'overall':<16}{total:>11}{passed:>7}{100 * passed / max(total, 1):>7.1f}%")
    print(f"{len(tests)} documents, {sum(1 for s in status.values() if s['status'] == 'error')} refused, "
          f"{len(silent)} reported ok with 0 articles while having entries; {len(again)} synced again alone; "
          f"{time.time() - started:.1f} s")
    for f in silent[:50] if args.verbose else silent[:10]:
        print(f"  silent: {f}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"categories": cats, "silent": silent, "results": results}, f, indent=1)

    if args.only:
        return 0
    with open(args.floor) as f:
        floor = json.load(f)
    problems = []
    if passed < floor["overall"]:
        problems.append(f"overall {passed} < floor {floor['overall']}")
    for name, minimum in floor.get("categories", {}).items():
        if cats.get(name, [0, 0])[1] < minimum:
            problems.append(f"{name} {cats.get(name, [0, 0])[1]} < floor {minimum}")
    if len(silent) > floor.get("max_silent", 0):
        problems.append(f"{len(silent)} feeds with entries reported ok with 0 articles (allowed: {floor.get('max_silent', 0)})")
    if problems:
        print("conformance: BELOW THE FLOOR: " + "; ".join(problems), file=sys.stderr)
        return 1
    if passed > floor["overall"]:
        print(f"conformance: {passed} pass, the floor is {floor['overall']}: raise it in {os.path.relpath(args.floor, ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
