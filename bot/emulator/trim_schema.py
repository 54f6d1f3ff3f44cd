"""Regenerate ``schema.json`` from the Bot API schema shipped in aiogram's source distribution.

aiogram's sdist carries ``.butcher/schema/schema.json`` (about 2 MB, mostly HTML and reST copies
of the documentation).  The emulator only needs names, types, required flags, the members of
union types and the constant ``type``/``status``/``source`` value that tells union members
apart, so this script keeps exactly that.  Every method and type is kept, which is what makes
adding an emulator method a matter of writing its handler.

Usage::

    pip download --no-deps --no-binary :all: aiogram==3.31.0 -d /tmp/aiogram-sdist
    python -m bot.emulator.trim_schema /tmp/aiogram-sdist/aiogram-3.31.0.tar.gz
"""

from __future__ import annotations

import argparse
import json
import re
import tarfile
from pathlib import Path
from typing import Any

OUTPUT = Path(__file__).with_name("schema.json")
SCHEMA_MEMBER = ".butcher/schema/schema.json"
# Fields whose description pins a constant value, used to pick the member of a union.
DISCRIMINATORS = ("type", "status", "source")
_CONST = re.compile(r"(?:must be|always) ['\"“]?([a-z_]+)")
_SUBTYPE = re.compile(r"^\s*-\s+([A-Z][A-Za-z]+)\s*$", re.MULTILINE)


def load_source(path: Path) -> dict[str, Any]:
    """Read the full schema from an sdist tarball or from an extracted ``schema.json``."""
    if path.suffix == ".json":
        return dict(json.loads(path.read_text(encoding="utf-8")))
    with tarfile.open(path) as tar:
        for member in tar.getmembers():
            if member.name.endswith(SCHEMA_MEMBER):
                handle = tar.extractfile(member)
                if handle is not None:
                    return dict(json.load(handle))
    raise SystemExit(f"{SCHEMA_MEMBER} not found in {path}")


def trim(source: dict[str, Any], origin: str) -> dict[str, Any]:
    """Keep what validation needs: fields, union members and discriminator constants."""
    objects = [child for section in source["items"] for child in section["children"]]
    names = {obj["name"] for obj in objects}
    methods: dict[str, Any] = {}
    types: dict[str, Any] = {}
    for obj in objects:
        fields = []
        for ann in obj["annotations"]:
            field: dict[str, Any] = {
                "name": ann["name"],
                "type": ann["type"],
                "required": bool(ann.get("required", False)),
            }
            if ann["name"] in DISCRIMINATORS and ann["type"] == "String":
                match = _CONST.search(ann.get("description", ""))
                if match:
                    field["const"] = match.group(1)
            fields.append(field)
        if obj["category"] == "methods":
            methods[obj["name"]] = {"params": fields}
            continue
        entry: dict[str, Any] = {"fields": fields}
        subtypes = [n for n in _SUBTYPE.findall(obj.get("description", "")) if n in names]
        if not fields and subtypes:
            entry["subtypes"] = subtypes
        types[obj["name"]] = entry
    return {"api": source["api"], "source": origin, "methods": methods, "types": types}


def dump(schema: dict[str, Any]) -> str:
    """One method or type per line: small, and diffs stay readable across schema upgrades."""
    lines = ["{"]
    lines.append(f'"api": {json.dumps(schema["api"])},')
    lines.append(f'"source": {json.dumps(schema["source"])},')
    for key in ("methods", "types"):
        lines.append(f'"{key}": {{')
        items = list(schema[key].items())
        for index, (name, value) in enumerate(items):
            comma = "," if index < len(items) - 1 else ""
            lines.append(f"{json.dumps(name)}: {json.dumps(value, ensure_ascii=False)}{comma}")
        lines.append("}," if key == "methods" else "}")
    lines.append("}")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, help="aiogram sdist .tar.gz or its schema.json")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args()
    schema = trim(load_source(args.source), origin=f"{args.source.name}:{SCHEMA_MEMBER}")
    args.output.write_text(dump(schema), encoding="utf-8")
    print(f"wrote {args.output} (Bot API {schema['api']['version']})")


if __name__ == "__main__":
    main()
