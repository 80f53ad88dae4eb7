#!/usr/bin/env python3
"""Generate the WIT reference pages of the book from parigot's WIT packages.

    python3 scripts/wit-reference.py WIT_DIR OUT_DIR     # e.g. wit docs/reference/wit

Every folder of WIT_DIR holds one package (wit/context, wit/log, ...). Each is resolved on its
own by `wasm-tools component wit --json`, in a temporary folder whose `deps/` holds the other
packages, so the references between them (`include parigot:sdk/imports@0.1.0;`) resolve. The
JSON is wit-parser's `Resolve`: arenas of `packages`, `interfaces`, `worlds` and `types` that
point at each other by index, each item with its `///` comments in `docs.contents`.

OUT_DIR gets `index.md` and one page per package (`parigot-context.md` for
`parigot:context@0.1.0`): the doc comments of the package and of its interfaces, worlds, types,
fields, cases and functions, with every definition and signature in WIT syntax. Items keep
their order in the source; packages are sorted by name. The output depends only on the WIT
(no dates, no paths of this machine), so running it twice gives the same files.

wasm-tools is taken from $WASM_TOOLS, else the project's .tools/venv/bin (what `make tools`
installs), else PATH.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PACKAGE_DECL = re.compile(r"^\s*package\s+([^;\s]+)\s*;", re.M)
INDENT = "    "


def wasm_tools():
    for candidate in (os.environ.get("WASM_TOOLS"), os.path.join(REPO, ".tools/venv/bin/wasm-tools"),
                      shutil.which("wasm-tools")):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    sys.exit("wit-reference: wasm-tools not found (run `make tools`, or set WASM_TOOLS)")


def package_folders(wit_dir):
    """{folder name: package name} for every folder of wit_dir with .wit files."""
    found = {}
    for name in sorted(os.listdir(wit_dir)):
        folder = os.path.join(wit_dir, name)
        if not os.path.isdir(folder):
            continue
        for file in sorted(f for f in os.listdir(folder) if f.endswith(".wit")):
            with open(os.path.join(folder, file), encoding="utf-8") as f:
                declared = PACKAGE_DECL.search(f.read())
            if declared:
                found[name] = declared.group(1)
                break
    return found


def resolve(tool, wit_dir, folder, folders):
    """wit-parser's Resolve (as JSON) of wit_dir/folder, the other folders as its deps."""
    with tempfile.TemporaryDirectory() as tmp:
        root = os.path.join(tmp, folder)
        shutil.copytree(os.path.join(wit_dir, folder), root)
        for other in folders:
            dep = os.path.join(root, "deps", other)
            if other != folder and not os.path.exists(dep):
                shutil.copytree(os.path.join(wit_dir, other), dep, ignore=shutil.ignore_patterns("deps"))
        done = subprocess.run([tool, "component", "wit", "--json", root], capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"wit-reference: wasm-tools could not resolve {folder}:\n{done.stderr}")
    return json.loads(done.stdout)


def page_name(package):
    """`parigot:context@0.1.0` -> `parigot-context.md`."""
    return package.split("@")[0].replace(":", "-") + ".md"


def docs(item):
    return ((item or {}).get("docs") or {}).get("contents") or ""


def first_sentence(text):
    paragraph = " ".join(text.split("\n\n")[0].split())
    match = re.match(r"(.+?[.!?])(\s|$)", paragraph)
    return match.group(1) if match else paragraph


class Renderer:
    """Renders the items of one Resolve as WIT and Markdown."""

    def __init__(self, res, pages):
        self.res = res
        self.pages = pages  # package name -> page file, for links between pages

    # --- names and types ---

    def interface_name(self, index):
        iface = self.res["interfaces"][index]
        package = self.res["packages"][iface["package"]]["name"]
        base, _, version = package.partition("@")
        return f"{base}/{iface['name']}" + (f"@{version}" if version else "")

    def interface_link(self, index):
        iface = self.res["interfaces"][index]
        package = self.res["packages"][iface["package"]]["name"]
        label = f"`{self.interface_name(index)}`"
        if package in self.pages:
            return f"[{label}]({self.pages[package]}#interface-{iface['name']})"
        return label

    def ty(self, t):
        """A type as it is written in WIT where it is used."""
        if t is None:
            return "_"
        if isinstance(t, str):
            return t
        typedef = self.res["types"][t]
        return typedef["name"] if typedef.get("name") else self.kind(typedef["kind"])

    def kind(self, kind):
        """The WIT of a type's kind (`list<u8>`), whatever the type's name."""
        if isinstance(kind, str):  # "resource", "unknown"
            return kind
        (tag, value), = kind.items()
        if tag in ("option", "list"):
            return f"{tag}<{self.ty(value)}>"
        if tag == "fixed-length-list":
            return f"list<{self.ty(value[0])}, {value[1]}>"
        if tag == "map":
            return f"map<{self.ty(value[0])}, {self.ty(value[1])}>"
        if tag == "tuple":
            return "tuple<" + ", ".join(self.ty(x) for x in value["types"]) + ">"
        if tag == "result":
            ok, err = value.get("ok"), value.get("err")
            if ok is None and err is None:
                return "result"
            if err is None:
                return f"result<{self.ty(ok)}>"
            return f"result<{self.ty(ok)}, {self.ty(err)}>"
        if tag == "handle":
            (how, resource), = value.items()
            name = self.ty(resource)
            return name if how == "own" else f"borrow<{name}>"
        if tag in ("future", "stream"):
            return tag if value is None else f"{tag}<{self.ty(value)}>"
        if tag == "type":
            return self.ty(value)
        return tag

    @staticmethod
    def gate(item):
        stability = (item or {}).get("stability")
        if not stability:
            return []
        (how, info), = stability.items()
        if how == "stable":
            lines = [f"@since(version = {info['since']})"]
        else:
            lines = [f"@unstable(feature = {info['feature']})"]
        if info.get("deprecated"):
            lines.append(f"@deprecated(version = {info['deprecated']})")
        return lines

    # --- WIT text ---

    def signature(self, func, name=None, skip_self=False):
        """`name: func(a: t) -> r` (without the `;`)."""
        params = func.get("params", [])
        if skip_self and params and params[0].get("name") == "self":
            params = params[1:]
        args = ", ".join(f"{p['name']}: {self.ty(p['type'])}" for p in params)
        kind = func["kind"]
        tag = kind if isinstance(kind, str) else next(iter(kind))
        if tag == "constructor":
            return f"constructor({args})"
        keyword = "async func" if tag.startswith("async") else "func"
        if tag in ("static", "async-static"):
            keyword = "static " + keyword
        result = f" -> {self.ty(func['result'])}" if func.get("result") is not None else ""
        return f"{name or self.short_name(func)}: {keyword}({args}){result}"

    @staticmethod
    def short_name(func):
        """`[method]conn.query` -> `query`; `[constructor]conn` -> `constructor`."""
        name = func["name"]
        if name.startswith("["):
            name = name.split("]", 1)[1]
            return name.split(".", 1)[1] if "." in name else "constructor"
        return name

    def methods(self, iface, type_index):
        """The functions of a resource (methods, statics, its constructor), in order."""
        for func in iface["functions"].values():
            kind = func["kind"]
            if isinstance(kind, dict) and next(iter(kind.values())) == type_index:
                yield func

    def definition(self, name, index, iface):
        """A named type's definition, as lines of WIT."""
        typedef = self.res["types"][index]
        kind = typedef["kind"]
        lines = self.gate(typedef)
        if kind == "resource":
            body = [self.signature(f, skip_self=True) + ";" for f in self.methods(iface, index)]
            if not body:
                return lines + [f"resource {name};"]
            return lines + [f"resource {name} {{"] + [INDENT + b for b in body] + ["}"]
        tag, value = (kind, None) if isinstance(kind, str) else next(iter(kind.items()))
        if tag == "record":
            body = [f"{f['name']}: {self.ty(f['type'])}," for f in value["fields"]]
        elif tag == "variant":
            body = [c["name"] + (f"({self.ty(c['type'])})" if c.get("type") is not None else "") + ","
                    for c in value["cases"]]
        elif tag in ("enum", "flags"):
            body = [c["name"] + "," for c in value["cases" if tag == "enum" else "flags"]]
        elif tag == "type" and isinstance(value, int) and self.res["types"][value]["owner"] != typedef["owner"]:
            target = self.res["types"][value]
            owner = target["owner"]["interface"]
            alias = target["name"] if target["name"] == name else f"{target['name']} as {name}"
            return lines + [f"use {self.interface_name(owner)}.{{{alias}}};"]
        else:
            return lines + [f"type {name} = {self.kind(kind)};"]
        return lines + [f"{tag} {name} {{"] + [INDENT + b for b in body] + ["}"]

    # --- Markdown ---

    @staticmethod
    def wit_block(lines):
        return ["```wit"] + lines + ["```", ""]

    @staticmethod
    def paragraph(text):
        return [text, ""] if text else []

    @staticmethod
    def member_list(members, render):
        """A list of the documented members (fields, cases, flags): `name: type`, then docs."""
        if not any(docs(m) for m in members):
            return []
        out = []
        for member in members:
            text = docs(member).replace("\n", "\n  ")
            out.append(f"- `{render(member)}`" + (f": {text}" if text else ""))
        return out + [""]

    def type_section(self, name, index, iface):
        typedef = self.res["types"][index]
        kind = typedef["kind"]
        tag = kind if isinstance(kind, str) else next(iter(kind))
        label = {"type": "type", "resource": "resource"}.get(tag, tag)
        if tag not in ("record", "variant", "enum", "flags", "resource", "type"):
            label = "type"
        out = [f"#### {label} `{name}`", ""]
        out += self.paragraph(docs(typedef))
        out += self.wit_block(self.definition(name, index, iface))
        if tag == "record":
            out += self.member_list(kind["record"]["fields"], lambda f: f"{f['name']}: {self.ty(f['type'])}")
        elif tag == "variant":
            out += self.member_list(kind["variant"]["cases"], lambda c: c["name"] + (
                f"({self.ty(c['type'])})" if c.get("type") is not None else ""))
        elif tag == "enum":
            out += self.member_list(kind["enum"]["cases"], lambda c: c["name"])
        elif tag == "flags":
            out += self.member_list(kind["flags"]["flags"], lambda c: c["name"])
        elif tag == "resource":
            for func in self.methods(iface, index):
                out += [f"- `{self.signature(func, skip_self=True)}`"
                        + (": " + docs(func).replace("\n", "\n  ") if docs(func) else "")]
            out.append("")
        return out

    def function_section(self, func, name=None):
        out = [f"#### `{name or func['name']}`", ""]
        out += self.wit_block(self.gate(func) + [self.signature(func, name) + ";"])
        out += self.paragraph(docs(func))
        return out

    def interface_section(self, index, level="##"):
        iface = self.res["interfaces"][index]
        out = [f"{level} Interface `{iface['name']}`", ""]
        out += self.paragraph(docs(iface))
        out += [f"`{line}`" for line in self.gate(iface)] + ([""] if self.gate(iface) else [])
        out += [f"Full name (as worlds import or export it): `{self.interface_name(index)}`.", ""]
        if iface["types"]:
            out += ["### Types", ""]
            for name, type_index in iface["types"].items():
                out += self.type_section(name, type_index, iface)
        freestanding = [f for f in iface["functions"].values()
                        if f["kind"] in ("freestanding", "async-freestanding")]
        if freestanding:
            out += ["### Functions", ""]
            for func in freestanding:
                out += self.function_section(func)
        return out

    def world_item(self, direction, key, item):
        """(a line of the world's WIT, a Markdown list entry) for one import or export."""
        if "interface" in item:
            index = item["interface"]["id"]
            if self.res["interfaces"][index].get("name") is None:  # `import name: interface {...}`
                funcs = self.res["interfaces"][index]["functions"].values()
                inner = " ".join(self.signature(f) + ";" for f in funcs)
                return f"{direction} {key}: interface {{ {inner} }}", f"`{key}` (an inline interface)"
            note = docs(item["interface"])  # the `///` on the import or export itself
            return (f"{direction} {self.interface_name(index)};",
                    self.interface_link(index) + (f": {note}" if note else ""))
        if "function" in item:
            line = f"{direction} {self.signature(item['function'], key)};"
            return line, f"`{key}`" + (": " + docs(item["function"]) if docs(item["function"]) else "")
        if "type" in item:
            return f"use {self.ty(item['type'])};", f"type `{key}`"
        return f"{direction} {key};", f"`{key}`"

    def world_section(self, index):
        world = self.res["worlds"][index]
        out = [f"## World `{world['name']}`", ""]
        out += self.paragraph(docs(world))
        lines, entries = [], {"import": [], "export": []}
        for direction in ("import", "export"):
            for key, item in world[direction + "s"].items():
                line, entry = self.world_item(direction, key, item)
                lines.append(INDENT + line)
                entries[direction].append(entry)
        out += self.wit_block(self.gate(world) + [f"world {world['name']} {{"] + lines + ["}"])
        out += ["As resolved: the imports and exports of any world it `include`s are among its own.", ""]
        for direction, title in (("import", "Imports"), ("export", "Exports")):
            if entries[direction]:
                out += [f"{title}:", ""] + [f"- {e}" for e in entries[direction]] + [""]
        return out

    def package_page(self, package_index, source):
        package = self.res["packages"][package_index]
        out = [f"# `{package['name']}`", "",
               "<!-- Generated by scripts/wit-reference.py from the WIT; edit the .wit files, not this page. -->", ""]
        out += self.paragraph(docs(package))
        out += [f"Source: `{source}`.", ""]
        for index in package["interfaces"].values():
            out += self.interface_section(index)
        for index in package["worlds"].values():
            out += self.world_section(index)
        return "\n".join(out).rstrip() + "\n"


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__.strip().split("\n\n")[1])
    wit_dir, out_dir = sys.argv[1], sys.argv[2]
    tool = wasm_tools()
    folders = package_folders(wit_dir)
    if not folders:
        sys.exit(f"wit-reference: no WIT packages in {wit_dir}")
    pages = {package: page_name(package) for package in folders.values()}
    prefix = os.path.basename(os.path.normpath(wit_dir))
    written = {}
    for folder, package in sorted(folders.items(), key=lambda item: item[1]):
        res = resolve(tool, wit_dir, folder, folders)
        index = next(i for i, p in enumerate(res["packages"]) if p["name"] == package)
        sources = sorted(f for f in os.listdir(os.path.join(wit_dir, folder)) if f.endswith(".wit"))
        source = ", ".join(f"{prefix}/{folder}/{f}" for f in sources)
        written[package] = (folder, res["packages"][index], Renderer(res, pages).package_page(index, source))

    os.makedirs(out_dir, exist_ok=True)
    index = ["# WIT reference", "",
             "<!-- Generated by scripts/wit-reference.py from the WIT; edit the .wit files, not this page. -->", "",
             f"parigot's own WIT packages, one folder each under `{prefix}/` in the repository: what the",
             "host gives services (the per-call context, logging, SQLite), the worlds services include,",
             "and the interfaces of tests. Each page shows a package's interfaces, types, functions and",
             "worlds in WIT, with their documentation.", "",
             "| package | folder | interfaces | worlds |", "|---|---|---|---|"]
    for package, (folder, info, page) in written.items():
        with open(os.path.join(out_dir, pages[package]), "w", encoding="utf-8") as f:
            f.write(page)
        ifaces = ", ".join(f"`{name}`" for name in info["interfaces"]) or "–"
        worlds = ", ".join(f"`{name}`" for name in info["worlds"]) or "–"
        index.append(f"| [`{package}`]({pages[package]}) | `{prefix}/{folder}` | {ifaces} | {worlds} |")
    index.append("")
    for package, (_, info, _) in written.items():
        summary = first_sentence(docs(info))
        index.append(f"- [`{package}`]({pages[package]})" + (f": {summary}" if summary else ""))
    with open(os.path.join(out_dir, "index.md"), "w", encoding="utf-8") as f:
        f.write("\n".join(index) + "\n")
    print(f"wit-reference: {len(written)} package(s) into {out_dir}")


if __name__ == "__main__":
    main()
