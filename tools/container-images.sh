#!/usr/bin/env bash
# The services' container images, built here without Docker and without Microsoft's registry:
#   1. a base root filesystem from Debian packages (mmdebstrap: bookworm, the libraries .NET needs), with this
#      machine's ASP.NET Core runtime in /usr/share/dotnet and the user `app` (uid 1654, as in Microsoft's images);
#   2. served as an image by Debian's docker-registry on 127.0.0.1 (a free port, for this run only);
#   3. `dotnet publish -t:PublishContainer` of each service with ContainerBaseImage on that registry and
#      ContainerArchiveOutputPath: one OCI-layout .tar per service in .data/images/ (the pixel's carries the
#      shipper in /app/shipper, as azd's deploy pushes it).
#   4. tools/check-image.py opens each archive and checks entrypoint, user, port, environment and the files the
#      Container App templates start (the shipper in the pixel's image); the script exits 1 when one is wrong.
#   5. as root: the pixel image's file system run with chroot (no engine needed) as user app: one hit, SIGTERM,
#      the log line and the pixel's closed marker on the volume directory.
# Slow (a Debian bootstrap, then two Release publishes: minutes), so a tool on demand, not part of ./test.sh.
# Usage: tools/container-images.sh            (needs root for mmdebstrap's default mode, or its unshare mode)
set -euo pipefail
cd "$(dirname "$0")/.."
out=$PWD/.data/images
work=$out/work
mkdir -p "$out" "$work"

need=()
command -v mmdebstrap >/dev/null || need+=(mmdebstrap)
command -v docker-registry >/dev/null || need+=(docker-registry)
command -v python3 >/dev/null || need+=(python3)
if [ ${#need[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

runtime=$(ls /usr/share/dotnet/shared/Microsoft.AspNetCore.App | sort -V | tail -n1)
base_tag="aspnet-$runtime"

# 1. The root filesystem (cached: the Debian packages change rarely).
if [ ! -s "$work/rootfs.tar" ]; then
  echo "container-images: bootstrapping Debian bookworm with the .NET runtime's libraries"
  mmdebstrap --quiet --variant=essential \
    --include=ca-certificates,libicu72,libssl3,zlib1g,libstdc++6,libgcc-s1,tzdata \
    bookworm "$work/rootfs.partial.tar" http://deb.debian.org/debian
  mv "$work/rootfs.partial.tar" "$work/rootfs.tar"
fi

# The runtime layer: this machine's shared frameworks and host, and the non-root user.
rm -rf "$work/runtime"; mkdir -p "$work/runtime/usr/share/dotnet/shared" "$work/runtime/usr/bin" "$work/runtime/etc" "$work/runtime/app"
cp -a /usr/share/dotnet/dotnet /usr/share/dotnet/host "$work/runtime/usr/share/dotnet/"
for framework in Microsoft.NETCore.App Microsoft.AspNetCore.App; do
  mkdir -p "$work/runtime/usr/share/dotnet/shared/$framework"
  cp -a "/usr/share/dotnet/shared/$framework/$runtime" "$work/runtime/usr/share/dotnet/shared/$framework/"
done
ln -sf /usr/share/dotnet/dotnet "$work/runtime/usr/bin/dotnet"
tar -xf "$work/rootfs.tar" -C "$work/runtime" ./etc/passwd ./etc/group
echo 'app:x:1654:1654::/home/app:/usr/sbin/nologin' >> "$work/runtime/etc/passwd"
echo 'app:x:1654:' >> "$work/runtime/etc/group"
mkdir -p "$work/runtime/home/app"

# 2. A registry for this run, and the base image pushed to it.
port=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
cat > "$work/registry.yml" <<EOF
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $work/registry
http:
  addr: 127.0.0.1:$port
EOF
docker-registry serve "$work/registry.yml" > "$work/registry.log" 2>&1 &
registry_pid=$!
trap 'kill $registry_pid 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$port/v2/" >/dev/null && break; sleep 0.1; done
curl -fs "http://127.0.0.1:$port/v2/" >/dev/null || { echo "docker-registry did not start:"; cat "$work/registry.log"; exit 1; }

python3 tools/push-base-image.py "127.0.0.1:$port" "clickstream/base" "$base_tag" "$work/rootfs.tar" "$work/runtime" "$work"
base="127.0.0.1:$port/clickstream/base:$base_tag"
echo "container-images: base image $base"

# 3. The services, as azd publishes them (-r linux-x64 -c Release -t:PublishContainer), into archives.
export DOTNET_CONTAINER_INSECURE_REGISTRIES="127.0.0.1:$port"
for service in Pixel Consumer; do
  lower=$(echo "$service" | tr '[:upper:]' '[:lower:]')
  rm -f "$out/$lower.tar"
  dotnet publish "Clickstream.$service/Clickstream.$service.csproj" -r linux-x64 -c Release -t:PublishContainer -v q -nologo \
    -p:ContainerBaseImage="$base" -p:ContainerUser=app -p:ContainerRepository="clickstream/$lower" -p:ContainerImageTag=local \
    -p:ContainerArchiveOutputPath="$out/$lower.tar"
  echo "container-images: $out/$lower.tar ($(du -h "$out/$lower.tar" | cut -f1))"
done

# 4. What Clickstream.AppHost/infra/*.tmpl.yaml and Container Apps rely on.
common=(--user app --port 8080 --env ASPNETCORE_HTTP_PORTS=8080 --env DOTNET_RUNNING_IN_CONTAINER=true --file /usr/bin/dotnet)
python3 tools/check-image.py "$out/pixel.tar" --entrypoint "dotnet /app/Clickstream.Pixel.dll" "${common[@]}" \
  --file /app/Clickstream.Pixel.dll --file /app/shipper/Clickstream.Shipper.dll --file /app/shipper/appsettings.json
python3 tools/check-image.py "$out/consumer.tar" --entrypoint "dotnet /app/Clickstream.Consumer.dll" "${common[@]}" \
  --file /app/Clickstream.Consumer.dll

# 5. The image runs: its layers unpacked, the pixel started as the container would start it.
if [ "$(id -u)" -eq 0 ]; then
  root=$work/chroot
  rm -rf "$root"; mkdir -p "$root"
  python3 - "$out/pixel.tar" "$root" <<'PY'
import io, json, sys, tarfile
archive, target = tarfile.open(sys.argv[1]), sys.argv[2]
blob = lambda d: archive.extractfile("blobs/sha256/" + d.split(":", 1)[1]).read()
manifest = json.loads(blob(json.loads(archive.extractfile("index.json").read())["manifests"][0]["digest"]))
for layer in manifest["layers"]:
    tarfile.open(fileobj=io.BytesIO(blob(layer["digest"]))).extractall(target, filter="fully_trusted")
PY
  mkdir -p "$root/proc" "$root/dev" "$root/tmp" "$root/var/clickstream/logs"; chmod 1777 "$root/tmp"
  chown -R 1654:1654 "$root/var/clickstream"
  mount -t proc proc "$root/proc"; mount --bind /dev "$root/dev"
  trap 'umount "$root/proc" "$root/dev" 2>/dev/null || true; kill $registry_pid 2>/dev/null || true' EXIT
  http=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
  chroot --userspec=1654:1654 "$root" /usr/bin/env HOME=/home/app HTTP_PORTS="$http" AccessLog__Directory=/var/clickstream/logs \
    dotnet /app/Clickstream.Pixel.dll > "$work/pixel-run.log" 2>&1 &
  pixel_pid=$!
  for _ in $(seq 1 300); do curl -fs "http://127.0.0.1:$http/health" >/dev/null && break; sleep 0.2; done
  code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$http/i?param=image")
  kill -TERM $pixel_pid; wait $pixel_pid || true
  if [ "$code" = 200 ] && grep -q '"path":"/i?param=image"' "$root/var/clickstream/logs/access.log" && [ -f "$root/var/clickstream/logs/pixel.closed" ]; then
    echo "container-images: the pixel image runs as app: 200, the line logged, the closed marker written on SIGTERM"
  else
    echo "container-images: the pixel image did not run as expected (answer $code):"; tail -20 "$work/pixel-run.log"; exit 1
  fi
fi
