#!/bin/sh
# macOS: double-click this file to start precheck. Finder opens it in Terminal; the window
# stays open at the end until Enter is pressed (PRECHECK_HOLD_WINDOW=1), so the result can be read.
cd "$(dirname "$0")" || exit 1
PRECHECK_HOLD_WINDOW=1 exec ./precheck "$@"
