#!/usr/bin/env bash
# Makes TorchSharp's native bridge (libLibTorchSharp.so) load where the system libstdc++ lacks
# GLIBCXX_3.4.32 (Debian 12 ships 3.4.30). TorchSharp needs exactly one symbol of that version,
# std::ios_base_library_init(). On such systems, in the given build/publish output only:
#   1. drop the version from that symbol's reference (patchelf --clear-symbol-version),
#   2. mark the GLIBCXX_3.4.32 version requirement weak (elf-weak-verneed.py),
#   3. add a needed shim library that defines the symbol (glibcxx-shim.cpp).
# Idempotent; a no-op where libstdc++ already has the version. Usage: patch-libtorchsharp.sh OUTDIR
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="${1%/}"
lib="$out/libLibTorchSharp.so"
shim="libcourse_glibcxx_shim.so"
symbol="_ZSt21ios_base_library_initv"
need="GLIBCXX_3.4.32"

[ -f "$lib" ] || exit 0
# awk reads to the end (no early exit): with pipefail, an early exit would kill ldconfig with SIGPIPE.
libstdcxx="$(/sbin/ldconfig -p | awk '$1 == "libstdc++.so.6" && /x86-64|AArch64/ && !found { print $NF; found = 1 }')"
if [ -n "$libstdcxx" ] && grep -qa "$need" "$libstdcxx"; then
  exit 0
fi
for tool in patchelf g++ python3; do
  command -v "$tool" >/dev/null || { echo "error: $tool is required to patch $lib for this libstdc++ (./course installs it, or: apt-get install patchelf g++ python3)" >&2; exit 1; }
done
needed="$(patchelf --print-needed "$lib")"
if grep -qx "$shim" <<<"$needed" && [ -f "$out/$shim" ]; then
  exit 0
fi

tmp="$(mktemp "$out/.libLibTorchSharp.XXXXXX")"
trap 'rm -f "$tmp"' EXIT
cp "$lib" "$tmp"
g++ -shared -fPIC -O2 -o "$out/$shim" "$here/glibcxx-shim.cpp"
patchelf --clear-symbol-version "$symbol" "$tmp"
python3 "$here/elf-weak-verneed.py" "$tmp" "$need" || true  # absent in a future TorchSharp: nothing to weaken
patchelf --add-needed "$shim" "$tmp"
case "$(patchelf --print-rpath "$tmp")" in
  *'$ORIGIN'*) ;;
  *) patchelf --set-rpath '$ORIGIN' "$tmp" ;;
esac
mv -f "$tmp" "$lib"
trap - EXIT
echo "patched $lib for $need (system libstdc++ lacks it)"
