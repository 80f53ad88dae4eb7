#!/usr/bin/env python3
"""Check the internal links of the documentation.

    scripts/check-links.py BOOK_HTML_DIR        # the built book (target/docs/book)
    scripts/check-links.py --markdown DOCS_DIR   # the Markdown sources (docs/), before building

HTML mode walks every .html file under BOOK_HTML_DIR and checks each relative `href`/`src`:
the file it names must exist (a folder means its index.html), and a `#fragment` must match an
`id` (or `<a name>`) in the target page. Links may leave BOOK_HTML_DIR (the rustdoc pages live
next to the book, in ../api/rust); they are checked all the same.

Markdown mode checks the `.md` sources the way mdBook will render them: a relative link must
name a file inside DOCS_DIR (mdBook copies nothing from outside it), a linked `.md` page must be
listed in DOCS_DIR/SUMMARY.md when there is one (mdBook renders only those), and a `#anchor`
must match a heading of the target page (mdBook's heading ids, which are GitHub's for plain
headings: lowercase, spaces to `-`, punctuation dropped, `-1`, `-2`... for repeats) or an
explicit `id`. Links into the rustdoc output (`.../api/rust/...`) are not checked in this mode:
they exist only once `make docs` has run `cargo doc`, and the HTML mode checks them.

External links (anything with a scheme: http, https, mailto...) are never checked. Exits 1
and lists `file: link: problem` for every broken link, 0 when all resolve.
"""

import argparse
import html.parser
import os
import re
import sys
import urllib.parse

SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:|^//")
# Links that only exist after `cargo doc` (see the docstring).
BUILT_ELSEWHERE = re.compile(r"(^|/)api/rust(/|$)")


# ---------------------------------------------------------------------------------------------
# HTML


class _Page(html.parser.HTMLParser):
    """The ids, links and <base href> of one HTML page."""

    LINK_ATTRS = {"a": "href", "link": "href", "area": "href", "img": "src", "script": "src",
                  "iframe": "src", "source": "src", "embed": "src", "audio": "src", "video": "src"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.ids, self.links, self.base = set(), [], None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("id"):
            self.ids.add(attrs["id"])
        if tag == "a" and attrs.get("name"):
            self.ids.add(attrs["name"])
        if tag == "base" and attrs.get("href"):
            self.base = attrs["href"]
        wanted = self.LINK_ATTRS.get(tag)
        if wanted and attrs.get(wanted):
            self.links.append(attrs[wanted].strip())

    handle_startendtag = handle_starttag


_pages = {}


def _parse_html(path):
    if path not in _pages:
        page = _Page()
        with open(path, encoding="utf-8", errors="replace") as f:
            page.feed(f.read())
        _pages[path] = page
    return _pages[path]


def check_html(root):
    problems, count = [], 0
    root = os.path.abspath(root)
    for path in _walk(root, ".html"):
        page = _parse_html(path)
        # mdBook's 404 page has <base href="/">: its links are relative to the book's root.
        base_dir = root if page.base and page.base.startswith("/") else os.path.dirname(path)
        for link in page.links:
            if SCHEME.match(link):
                continue
            count += 1
            target, fragment = _split(link)
            if target.startswith("/"):
                target_path = os.path.join(root, target.lstrip("/"))
            elif target:
                target_path = os.path.normpath(os.path.join(base_dir, target))
            else:
                target_path = path
            if os.path.isdir(target_path):
                target_path = os.path.join(target_path, "index.html")
            if not os.path.isfile(target_path):
                problems.append((path, link, "no such file"))
            elif fragment and target_path.endswith(".html"):
                if fragment not in _parse_html(target_path).ids:
                    problems.append((path, link, f"no id {fragment!r} in {_rel(target_path, root)}"))
    return problems, count


# ---------------------------------------------------------------------------------------------
# Markdown

FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
HEADING = re.compile(r"^ {0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
INLINE_CODE = re.compile(r"(`+)(.+?)\1", re.S)
# ](dest) or ](<dest>), with an optional title; the link text may span lines.
INLINE_LINK = re.compile(r"\]\(\s*(<[^>\n]*>|[^)\s]+)(?:\s+(?:\"[^\"]*\"|'[^']*'))?\s*\)")
REFERENCE_DEF = re.compile(r"^ {0,3}\[[^\]]+\]:\s*(<[^>\n]*>|\S+)", re.M)
HTML_LINK = re.compile(r"<(?:a|img)\s[^>]*?(?:href|src)=\"([^\"]+)\"", re.I)
HTML_ID = re.compile(r"<[a-z][^>]*?\s(?:id|name)=\"([^\"]+)\"", re.I)
EXPLICIT_ID = re.compile(r"\s*\{#([^}\s]+)[^}]*\}\s*$")


def slug(text):
    """mdBook's id for a heading's text (the same as GitHub's for plain headings)."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", text)  # links and images: their text
    text = re.sub(r"<[^>]+>", "", text)  # inline HTML tags
    out = []
    for ch in text.strip():
        if ch.isalnum() or ch in "_-":
            out.append(ch.lower() if ch.isascii() else ch)
        elif ch.isspace():
            out.append("-")
    return "".join(out)


def _markdown_parts(path):
    """(prose with code blocks and code spans blanked out, the page's anchors)."""
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    prose, anchors, seen, fence = [], set(), {}, None
    for line in lines:
        opening = FENCE.match(line)
        if fence:
            if opening and opening.group(1)[0] == fence[0] and len(opening.group(1)) >= len(fence):
                fence = None
            prose.append("")
            continue
        if opening:
            fence = opening.group(1)
            prose.append("")
            continue
        prose.append(line)
        heading = HEADING.match(line)
        if heading:
            text = heading.group(2)
            explicit = EXPLICIT_ID.search(text)
            if explicit:
                anchors.add(explicit.group(1))
                continue
            base = slug(INLINE_CODE.sub(lambda m: m.group(2).strip(), text).replace("*", ""))
            n = seen.get(base, 0)
            seen[base] = n + 1
            anchors.add(base if n == 0 else f"{base}-{n}")
    text = "\n".join(prose)
    anchors.update(HTML_ID.findall(text))
    text = INLINE_CODE.sub(lambda m: " " * len(m.group(0)), text)
    return text, anchors


def _summary_pages(root):
    summary = os.path.join(root, "SUMMARY.md")
    if not os.path.isfile(summary):
        return None
    text, _ = _markdown_parts(summary)
    pages = set()
    for dest in INLINE_LINK.findall(text):
        target, _ = _split(dest.strip("<>"))
        if target and not SCHEME.match(target):
            pages.add(os.path.normpath(os.path.join(root, target)))
    return pages


def check_markdown(root):
    problems, count = [], 0
    root = os.path.abspath(root)
    in_summary = _summary_pages(root)
    parsed = {}

    def parts(p):
        if p not in parsed:
            parsed[p] = _markdown_parts(p)
        return parsed[p]

    for path in _walk(root, ".md"):
        text, _ = parts(path)
        links = INLINE_LINK.findall(text) + REFERENCE_DEF.findall(text) + HTML_LINK.findall(text)
        for link in links:
            link = link.strip("<>")
            if SCHEME.match(link) or BUILT_ELSEWHERE.search(link):
                continue
            count += 1
            target, fragment = _split(link)
            target_path = os.path.normpath(os.path.join(os.path.dirname(path), target)) if target else path
            if os.path.commonpath([root, target_path]) != root:
                problems.append((path, link, "outside the book's folder (mdBook does not copy it)"))
                continue
            if target_path.endswith(".html") and not os.path.exists(target_path):
                target_path = target_path[: -len(".html")] + ".md"  # a page mdBook renders
            if not os.path.exists(target_path):
                problems.append((path, link, "no such file"))
                continue
            if target_path.endswith(".md"):
                if in_summary is not None and target_path not in in_summary and target_path != path:
                    problems.append((path, link, "page not in SUMMARY.md, so mdBook does not render it"))
                    continue
                if fragment and fragment not in parts(target_path)[1]:
                    problems.append((path, link, f"no heading or id {fragment!r} in {_rel(target_path, root)}"))
    if in_summary is not None:
        for path in _walk(root, ".md"):
            if path not in in_summary and os.path.basename(path) != "SUMMARY.md":
                print(f"warning: {_rel(path, root)} is not in SUMMARY.md", file=sys.stderr)
    return problems, count


# ---------------------------------------------------------------------------------------------


def _split(link):
    """A link's path (unquoted, without query) and fragment."""
    parsed = urllib.parse.urlsplit(link)
    return urllib.parse.unquote(parsed.path), urllib.parse.unquote(parsed.fragment)


def _walk(root, ext):
    for folder, dirs, files in os.walk(root):
        dirs.sort()
        for name in sorted(files):
            if name.endswith(ext):
                yield os.path.join(folder, name)


def _rel(path, root):
    return os.path.relpath(path, root)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dir", help="the built book (HTML), or with --markdown the Markdown sources")
    parser.add_argument("--markdown", action="store_true", help="check .md sources instead of HTML")
    args = parser.parse_args()
    if not os.path.isdir(args.dir):
        sys.exit(f"check-links: {args.dir} is not a folder")
    problems, count = (check_markdown if args.markdown else check_html)(args.dir)
    for path, link, problem in problems:
        print(f"{_rel(path, os.getcwd())}: {link}: {problem}")
    if problems:
        print(f"check-links: {len(problems)} broken link(s) of {count}", file=sys.stderr)
        sys.exit(1)
    print(f"check-links: {count} internal link(s) in {args.dir}, all resolve")


if __name__ == "__main__":
    main()
