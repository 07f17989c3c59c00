#!/bin/sh
# Install the system programs chainrule can use, where this machine lets us:
#   graphviz            the `dot` program that turns graphs into SVG/PNG (make demo, make test)
#   chromium + driver   headless browser for the step-page and studio tests (make test only)
#   pdf                 Pango and fonts, which WeasyPrint needs to print report/report.pdf
# Usage: tools/system-deps.sh graphviz [chromium] [pdf]
# Without apt-get or root, it says what to install by hand and goes on: everything except
# the pictures (the browser test, the PDF) works without these programs.
set -u
need=""
for what in "$@"; do
  case "$what" in
    graphviz) command -v dot >/dev/null 2>&1 || need="$need graphviz" ;;
    chromium) { command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; } \
                || need="$need chromium chromium-driver" ;;
    pdf) { ldconfig -p 2>/dev/null | grep -q 'libpangoft2-1.0.so.0' && fc-list 2>/dev/null | grep -qi dejavu; } \
                || need="$need libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core" ;;
  esac
done
[ -z "$need" ] && exit 0
if ! command -v apt-get >/dev/null 2>&1; then
  echo "note: please install$need with your system's package manager (no apt-get here)." >&2
  exit 0
fi
if [ "$(id -u)" = 0 ]; then sudo=""; elif sudo -n true 2>/dev/null; then sudo="sudo -n"; else
  echo "note: run 'sudo apt-get install$need' (needs root) for graph pictures / the browser test / the PDF." >&2
  exit 0
fi
echo "installing$need with apt-get ..."
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get install -y -q $need >/dev/null 2>&1 \
  || { $sudo apt-get update -q >/dev/null 2>&1 && $sudo apt-get install -y -q $need >/dev/null 2>&1; } \
  || echo "note: apt-get could not install$need; graph pictures fall back to .dot files, the report to no PDF." >&2
exit 0
