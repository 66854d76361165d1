#!/usr/bin/env python3
"""Pushes a two-layer base image (a root filesystem tar, plus a directory on top) to a registry over plain HTTP,
with the registry API alone (no Docker): blobs by monolithic upload, then an OCI manifest.
Usage: push-base-image.py REGISTRY REPOSITORY TAG ROOTFS.tar OVERLAY_DIR WORK_DIR"""
import gzip
import hashlib
import json
import os
import sys
import tarfile
import urllib.request

registry, repository, tag, rootfs, overlay, work = sys.argv[1:7]


def layer_from_tar(source, target):
    """Gzips an uncompressed tar; returns (compressed digest, size, uncompressed digest)."""
    diff = hashlib.sha256()
    with open(source, "rb") as raw, open(target, "wb") as file, gzip.GzipFile(fileobj=file, mode="wb", compresslevel=1, mtime=0) as packed:
        while chunk := raw.read(1 << 20):
            diff.update(chunk)
            packed.write(chunk)
    return digest_of(target), os.path.getsize(target), "sha256:" + diff.hexdigest()


def layer_from_directory(directory, target):
    """Tars a directory (owned by root, as an image layer should be), then gzips it."""
    plain = target + ".tar"
    with tarfile.open(plain, "w", format=tarfile.PAX_FORMAT) as tar:
        for name in sorted(os.listdir(directory)):
            tar.add(os.path.join(directory, name), arcname=name, filter=as_root)
    result = layer_from_tar(plain, target)
    os.remove(plain)
    return result


def as_root(info):
    info.uid = info.gid = 0
    info.uname = info.gname = "root"
    if info.name.startswith("home/app"):
        info.uid = info.gid = 1654
    return info


def digest_of(path):
    sha = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            sha.update(chunk)
    return "sha256:" + sha.hexdigest()


def push_blob(path_or_bytes, digest):
    base = f"http://{registry}/v2/{repository}/blobs"
    try:
        urllib.request.urlopen(urllib.request.Request(f"{base}/{digest}", method="HEAD"))
        return  # already there
    except urllib.error.HTTPError:
        pass
    start = urllib.request.urlopen(urllib.request.Request(f"{base}/uploads/", method="POST", data=b""))
    location = start.headers["Location"]
    if location.startswith("/"):
        location = f"http://{registry}{location}"
    separator = "&" if "?" in location else "?"
    data = path_or_bytes if isinstance(path_or_bytes, bytes) else open(path_or_bytes, "rb").read()
    request = urllib.request.Request(f"{location}{separator}digest={digest}", method="PUT", data=data,
                                     headers={"Content-Type": "application/octet-stream"})
    urllib.request.urlopen(request)


layers = [layer_from_tar(rootfs, os.path.join(work, "rootfs.tar.gz")),
          layer_from_directory(overlay, os.path.join(work, "runtime.tar.gz"))]
for (digest, _, _), name in zip(layers, ["rootfs.tar.gz", "runtime.tar.gz"]):
    push_blob(os.path.join(work, name), digest)

config = json.dumps({
    "architecture": "amd64",
    "os": "linux",
    "config": {
        # What Microsoft's aspnet images set, so the SDK's defaults (port 8080, the app user) hold.
        "Env": [
            "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            "APP_UID=1654",
            "ASPNETCORE_HTTP_PORTS=8080",
            "DOTNET_RUNNING_IN_CONTAINER=true",
            "DOTNET_VERSION=" + os.path.basename(os.listdir(os.path.join(overlay, "usr/share/dotnet/shared/Microsoft.NETCore.App"))[0]),
        ],
    },
    "rootfs": {"type": "layers", "diff_ids": [diff for _, _, diff in layers]},
    "history": [{"created_by": "mmdebstrap bookworm"}, {"created_by": "tools/container-images.sh: .NET runtime, user app"}],
}, separators=(",", ":")).encode()
config_digest = "sha256:" + hashlib.sha256(config).hexdigest()
push_blob(config, config_digest)

manifest = json.dumps({
    "schemaVersion": 2,
    "mediaType": "application/vnd.oci.image.manifest.v1+json",
    "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config_digest, "size": len(config)},
    "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": d, "size": s} for d, s, _ in layers],
}).encode()
urllib.request.urlopen(urllib.request.Request(
    f"http://{registry}/v2/{repository}/manifests/{tag}", method="PUT", data=manifest,
    headers={"Content-Type": "application/vnd.oci.image.manifest.v1+json"}))
print(f"pushed {registry}/{repository}:{tag} ({sum(s for _, s, _ in layers) // (1 << 20)} MiB)")
