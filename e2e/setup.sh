#!/bin/sh
# `npm run setup`: installs what the tests need on Debian 12 (as root, or through sudo), then the npm packages.
# chromium: the e2e browser (WebGPU through its SwiftShader, whose Vulkan driver Dawn uses in Node too);
# libvulkan1: the Vulkan loader Dawn needs; dataset-fashion-mnist: the Fashion-MNIST IDX files; fortunes: the
# fortune cookies of the built-in text dataset;
# python3-numpy: runs the README's numpy model loader in a test; nginx: the README's caching reverse proxy, which
# server/proxy_cache.test.ts runs on a free port (the default site Debian starts on port 80, when free, is unused).
set -eu
SUDO=
if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
$SUDO apt-get install -y chromium libvulkan1 dataset-fashion-mnist fortunes python3-numpy nginx
# better-sqlite3 has no prebuilt binary reachable here, so npm compiles it from source (about a minute on 2 cores).
npm ci
