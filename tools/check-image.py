#!/usr/bin/env python3
"""Opens an image archive that `dotnet publish -t:PublishContainer -p:ContainerArchiveOutputPath=…` wrote (an OCI
layout in a tar) and checks what a Container App relies on: entrypoint, user, exposed ports, environment, and files
in the layers. Exits 1 with one line per failed check.
Usage: check-image.py ARCHIVE.tar --entrypoint 'dotnet /app/X.dll' --user app --port 8080
                      [--env NAME=VALUE]... [--file path/in/image]..."""
import argparse
import io
import json
import sys
import tarfile

parser = argparse.ArgumentParser()
parser.add_argument("archive")
parser.add_argument("--entrypoint", required=True)
parser.add_argument("--user", required=True)
parser.add_argument("--port", required=True)
parser.add_argument("--env", action="append", default=[])
parser.add_argument("--file", action="append", default=[])
args = parser.parse_args()

with tarfile.open(args.archive) as archive:
    def blob(digest):
        return archive.extractfile("blobs/sha256/" + digest.split(":", 1)[1]).read()

    index = json.loads(archive.extractfile("index.json").read())
    manifest = json.loads(blob(index["manifests"][0]["digest"]))
    if "manifests" in manifest:  # an index of one platform
        manifest = json.loads(blob(manifest["manifests"][0]["digest"]))
    config = json.loads(blob(manifest["config"]["digest"]))["config"]
    files = set()
    for layer in manifest["layers"]:
        with tarfile.open(fileobj=io.BytesIO(blob(layer["digest"]))) as content:
            files.update(name.lstrip("./") for name in content.getnames())

failures = []
entrypoint = " ".join(config.get("Entrypoint") or []) + (" " + " ".join(config["Cmd"]) if config.get("Cmd") else "")
if entrypoint.strip() != args.entrypoint:
    failures.append(f"entrypoint is '{entrypoint.strip()}', expected '{args.entrypoint}'")
if config.get("User") != args.user:
    failures.append(f"user is '{config.get('User')}', expected '{args.user}'")
if f"{args.port}/tcp" not in (config.get("ExposedPorts") or {}):
    failures.append(f"port {args.port}/tcp not exposed: {sorted(config.get('ExposedPorts') or {})}")
environment = dict(e.split("=", 1) for e in config.get("Env") or [])
for expected in args.env:
    name, value = expected.split("=", 1)
    if environment.get(name) != value:
        failures.append(f"{name} is '{environment.get(name)}', expected '{value}'")
for path in args.file:
    if path.lstrip("/") not in files:
        failures.append(f"{path} is not in any layer")
if "etc/passwd" not in files:
    failures.append("no /etc/passwd: the base layers are missing")

for failure in failures:
    print(f"{args.archive}: {failure}")
if failures:
    sys.exit(1)
print(f"{args.archive}: entrypoint '{entrypoint.strip()}', user {args.user}, port {args.port}, "
      f"{len(args.env)} environment values and {len(args.file)} files as expected ({len(files)} files in {len(manifest['layers'])} layers)")
