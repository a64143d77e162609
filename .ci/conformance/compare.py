"""Compares two runs of the conformance suite's server scenarios (their
--output-dir): every check that passed against the reference server directly
must pass through the registry. Prints both tallies and each check lost.
Usage: compare.py LABEL DIRECT_DIR REGISTRY_DIR [--except SCENARIO_PREFIX]..."""

import glob
import json
import re
import sys


def checks(directory):
    found = {}
    for path in glob.glob(f"{directory}/*/checks.json"):
        scenario = re.sub(r"-\d{4}-\d\d-\d\dT.*$", "", path.split("/")[-2])
        scenario = scenario.removeprefix("server-")
        with open(path) as file:
            for check in json.load(file):
                found[(scenario, check["id"])] = (check["status"], check.get("errorMessage") or "")
    return found


def main():
    label, direct_dir, registry_dir, *rest = sys.argv[1:]
    excepted = [rest[i + 1] for i, arg in enumerate(rest) if arg == "--except"]
    direct, through = checks(direct_dir), checks(registry_dir)
    passed = {key for key, (status, _) in direct.items() if status == "SUCCESS"}
    if len(passed) < 20:
        sys.exit(f"{label}: only {len(passed)} checks passed directly: the reference server is down?")
    lost = []
    for key in sorted(passed):
        status, message = through.get(key, ("MISSING", ""))
        if status == "SUCCESS":
            continue
        if any(key[0].startswith(prefix) for prefix in excepted):
            print(f"  {label}: not yet through the registry: {key[0]} / {key[1]}")
            continue
        lost.append(f"  {key[0]} / {key[1]}: {status} {message[:300]}")
    kept = sum(1 for key in passed if through.get(key, ("",))[0] == "SUCCESS")
    print(f"{label}: {len(passed)} checks pass directly, {kept} of them through the registry")
    if lost:
        print("\n".join(lost))
        sys.exit(f"{label}: {len(lost)} checks pass directly but not through the registry")


if __name__ == "__main__":
    main()
