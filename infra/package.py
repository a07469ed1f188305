"""Package a stage for CloudFormation: the infra template with the stage baked in, merged by
``chalice package --merge-template`` into the SAM template of the app.

    python -m infra.package prod build/prod
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from infra.template import ROOT, load_template


# API Gateway's own answers (unknown path, throttling, a body over 10 MB, ...) in the documented error
# shape. Only in the packaged template: they belong to the API that Chalice creates (``RestAPI``),
# not to the data stack that infra/resources.json can also deploy on its own.
GATEWAY_RESPONSES = ROOT / "infra" / "gateway_responses.json"


def stage_template(stage: str, out_dir: Path) -> Path:
    """infra/resources.json with the Stage parameter defaulting to ``stage``, plus the gateway responses."""
    template = load_template()
    template["Parameters"]["Stage"]["Default"] = stage
    template["Resources"].update(json.loads(GATEWAY_RESPONSES.read_text())["Resources"])
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"resources-{stage}.json"
    path.write_text(json.dumps(template, indent=2))
    return path


def package(stage: str, out_dir: Path) -> Path:
    """Run ``chalice package`` for ``stage`` into ``out_dir``; returns the SAM template path."""
    merge = stage_template(stage, out_dir.parent / f"{out_dir.name}-merge")
    env = {**os.environ, "ODAVL_STAGE": stage, "AWS_DEFAULT_REGION": os.environ.get("AWS_DEFAULT_REGION", "us-east-1")}
    chalice = str(Path(sys.executable).with_name("chalice"))
    subprocess.run(
        [chalice, "package", "--stage", stage, "--merge-template", str(merge), str(out_dir)],
        cwd=ROOT, env=env, check=True, capture_output=True, text=True,
    )
    return out_dir / "sam.json"


if __name__ == "__main__":
    stage_name, target = sys.argv[1], Path(sys.argv[2]).resolve()
    print(package(stage_name, target))
