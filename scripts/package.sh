#!/bin/sh
# Builds the Debian package: a Release build for the prefix /usr with
# Debian's hardening flags (dpkg-buildflags), then `cpack -G DEB`, which
# computes Depends with dpkg-shlibdeps. Prints the path of
# rebate_<version>_<arch>.deb (in BUILD_DIR, default build-package) and,
# when lintian is installed, its report.
set -eu
cd "$(dirname "$0")/.."
build_dir=${BUILD_DIR:-build-package}
if command -v dpkg-buildflags >/dev/null; then
    DEB_BUILD_MAINT_OPTIONS=hardening=+all
    export DEB_BUILD_MAINT_OPTIONS
    CFLAGS="$(dpkg-buildflags --get CFLAGS) $(dpkg-buildflags --get CPPFLAGS)"
    LDFLAGS=$(dpkg-buildflags --get LDFLAGS)
    export CFLAGS LDFLAGS
fi
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX=/usr \
    -DREBATE_TESTS=OFF -DCMAKE_POSITION_INDEPENDENT_CODE=ON \
    "-DREBATE_CONFIG_PERMISSIONS=OWNER_READ;OWNER_WRITE;GROUP_READ;WORLD_READ" >/dev/null
cmake --build "$build_dir" -j "$(nproc)" --target rebate man package_changelog >/dev/null
(cd "$build_dir" && cpack -G DEB >/dev/null)
deb=$(ls -t "$build_dir"/rebate_*.deb | head -n 1)
echo "$deb"
if command -v lintian >/dev/null && [ "${LINTIAN:-1}" = 1 ]; then
    lintian "$deb" || true
fi
