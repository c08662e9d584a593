#!/usr/bin/env bash
# Checks a built Windows installer (./dev windows-build runs it): it holds the app, the CLI
# and every DLL they import that Windows does not ship, and its programs carry no debug
# sections. An installer without WebView2Loader.dll built fine and would not have started.
#   packaging/windows/check-installer.sh SETUP.exe STAGED_DIR
set -euo pipefail
setup="$1" staged="$2"
listing="$(7z l -ba "$setup")"
status=0
has() { grep -qiE "(^|[ /\\])$1\$" <<<"$listing"; }
for exe in caliber-app.exe caliber.exe; do
  has "$exe" || { echo "check-installer: $exe is not in the installer" >&2; status=1; }
  if x86_64-w64-mingw32-objdump -h "$staged/$exe" | grep -q '\.debug_'; then
    echo "check-installer: $exe still has debug sections (not stripped)" >&2; status=1
  fi
  while read -r dll; do
    # Windows's own: the API sets and the system DLLs of every supported Windows 10/11.
    case "${dll,,}" in
      api-ms-win-*|kernel32.dll|ntdll.dll|user32.dll|gdi32.dll|advapi32.dll|shell32.dll|ole32.dll|oleaut32.dll|\
      comctl32.dll|comdlg32.dll|crypt32.dll|bcrypt.dll|bcryptprimitives.dll|dwmapi.dll|imm32.dll|ktmw32.dll|\
      msvcrt.dll|propsys.dll|shlwapi.dll|userenv.dll|ws2_32.dll|combase.dll|uxtheme.dll|version.dll|winmm.dll|\
      secur32.dll|ncrypt.dll|iphlpapi.dll|dbghelp.dll|setupapi.dll|powrprof.dll|dnsapi.dll|uiautomationcore.dll)
        ;;
      *) has "$dll" || { echo "check-installer: $exe needs $dll, which is not in the installer" >&2; status=1; } ;;
    esac
  done < <(x86_64-w64-mingw32-objdump -p "$staged/$exe" | sed -n 's/^[[:space:]]*DLL Name: //p' | sort -u)
done
[ "$status" -eq 0 ] && echo "check-installer: $(basename "$setup"): $(stat -c %s "$setup") bytes: caliber-app.exe, caliber.exe and every DLL they need that Windows lacks"
exit "$status"
