"""Copy the front-end packages installed from the npm registry into the Python package.

Run after `npm ci`. Everything the pages load is served from /static/vendor/, so
Vigil works on a closed network with no CDN.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MODULES = ROOT / "node_modules"
VENDOR = ROOT / "src" / "vigil" / "web" / "static" / "vendor"

COPIES = {
    "@uswds/uswds/dist/css/uswds.min.css": "uswds/css/uswds.min.css",
    "@uswds/uswds/dist/js/uswds.min.js": "uswds/js/uswds.min.js",
    "@uswds/uswds/dist/js/uswds-init.min.js": "uswds/js/uswds-init.min.js",
    "@uswds/uswds/dist/fonts": "uswds/fonts",
    "@uswds/uswds/dist/img": "uswds/img",
    "@uswds/uswds/LICENSE.md": "uswds/LICENSE.md",
    "htmx.org/dist/htmx.min.js": "htmx/htmx.min.js",
    "htmx.org/LICENSE": "htmx/LICENSE",
    # U.S. state boundaries (Census cartographic boundaries, already projected to Albers
    # USA at 975 x 610) for the trends page's map, drawn on the server.
    "us-atlas/states-albers-10m.json": "us-atlas/states-albers-10m.json",
    "us-atlas/LICENSE": "us-atlas/LICENSE",
}


def main() -> int:
    if not MODULES.is_dir():
        print("node_modules/ is missing: run `npm ci` first.", file=sys.stderr)
        return 1
    for source_name, target_name in COPIES.items():
        source, target = MODULES / source_name, VENDOR / target_name
        if not source.exists():
            print(f"missing {source}", file=sys.stderr)
            return 1
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target, dirs_exist_ok=True)
        else:
            shutil.copy2(source, target)
    print(f"front-end assets copied to {VENDOR.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
