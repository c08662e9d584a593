; The Windows installer of Caliber Reader, built on Linux by `./dev windows-build` with
; Debian's makensis (Tauri's own NSIS bundler cannot run here: it fetches a prebuilt plugin,
; nsis_tauri_utils.dll, from GitHub; see ARCHITECTURE.md, "Desktop platforms").
; It does what Tauri's per-user installer does for this app: the two programs, a Start menu
; entry, the caliber:// link scheme, an entry in "Installed apps", and an uninstaller that
; leaves the reader's articles (%APPDATA%\az.caliber.reader) in place.
;
; makensis -DBINDIR=<dir with caliber-app.exe, caliber.exe> -DVERSION=x.y.z -DOUTFILE=<path>

Unicode true
SetCompressor /SOLID lzma

!include "MUI2.nsh"
!include "LogicLib.nsh"

!define NAME "Caliber Reader"
!define IDENTIFIER "az.caliber.reader"
!define UNINSTALL_KEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\${IDENTIFIER}"
; The Evergreen WebView2 runtime's client id (the one Tauri's installer checks too).
!define WEBVIEW2_KEY "SOFTWARE\WOW6432Node\Microsoft\EdgeUpdate\Clients\{F3017226-FE2A-4295-8BDF-00C3A9A7E4C5}"

!ifndef BINDIR
  !error "pass -DBINDIR=<folder with caliber-app.exe and caliber.exe>"
!endif
!ifndef VERSION
  !error "pass -DVERSION=x.y.z"
!endif
!ifndef OUTFILE
  !error "pass -DOUTFILE=<installer path>"
!endif

Name "${NAME}"
OutFile "${OUTFILE}"
; Per user, like Tauri's default installMode: no administrator prompt.
RequestExecutionLevel user
InstallDir "$LOCALAPPDATA\Programs\${NAME}"
InstallDirRegKey HKCU "Software\${IDENTIFIER}" "InstallDir"
VIProductVersion "${VERSION}.0"
VIAddVersionKey "ProductName" "${NAME}"
VIAddVersionKey "ProductVersion" "${VERSION}"
VIAddVersionKey "FileVersion" "${VERSION}"
VIAddVersionKey "FileDescription" "${NAME} installer"
VIAddVersionKey "LegalCopyright" "MIT"

!define MUI_ICON "..\..\src-tauri\icons\icon.ico"
!define MUI_UNICON "..\..\src-tauri\icons\icon.ico"
!define MUI_FINISHPAGE_RUN "$INSTDIR\caliber-app.exe"
!insertmacro MUI_PAGE_DIRECTORY
!insertmacro MUI_PAGE_INSTFILES
!insertmacro MUI_PAGE_FINISH
!insertmacro MUI_UNPAGE_CONFIRM
!insertmacro MUI_UNPAGE_INSTFILES
!insertmacro MUI_LANGUAGE "English"

Section "Caliber Reader"
  SetOutPath "$INSTDIR"
  File "${BINDIR}\caliber-app.exe"
  File "${BINDIR}\caliber.exe"
  ; webview2-com links the WebView2 loader dynamically on the GNU target: without it beside
  ; the app, Windows refuses to start caliber-app.exe.
  File "${BINDIR}\WebView2Loader.dll"
  WriteUninstaller "$INSTDIR\uninstall.exe"
  WriteRegStr HKCU "Software\${IDENTIFIER}" "InstallDir" "$INSTDIR"

  CreateShortcut "$SMPROGRAMS\${NAME}.lnk" "$INSTDIR\caliber-app.exe"

  WriteRegStr HKCU "${UNINSTALL_KEY}" "DisplayName" "${NAME}"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "DisplayVersion" "${VERSION}"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "DisplayIcon" "$INSTDIR\caliber-app.exe"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "InstallLocation" "$INSTDIR"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "UninstallString" '"$INSTDIR\uninstall.exe"'
  WriteRegDWORD HKCU "${UNINSTALL_KEY}" "NoModify" 1
  WriteRegDWORD HKCU "${UNINSTALL_KEY}" "NoRepair" 1

  ; caliber://article/<id> opens the app (plugins.deep-link.desktop.schemes in tauri.conf.json).
  WriteRegStr HKCU "Software\Classes\caliber" "" "URL:caliber"
  WriteRegStr HKCU "Software\Classes\caliber" "URL Protocol" ""
  WriteRegStr HKCU "Software\Classes\caliber\DefaultIcon" "" '"$INSTDIR\caliber-app.exe",0'
  WriteRegStr HKCU "Software\Classes\caliber\shell\open\command" "" '"$INSTDIR\caliber-app.exe" "%1"'

  ; Windows 11 and updated Windows 10 ship the WebView2 runtime; older ones need it once.
  ReadRegStr $0 HKLM "${WEBVIEW2_KEY}" "pv"
  ${If} $0 == ""
    ReadRegStr $0 HKCU "Software\Microsoft\EdgeUpdate\Clients\{F3017226-FE2A-4295-8BDF-00C3A9A7E4C5}" "pv"
  ${EndIf}
  ${If} $0 == ""
    MessageBox MB_OK|MB_ICONINFORMATION "${NAME} needs Microsoft's WebView2 runtime, which this computer does not have yet. Install the Evergreen WebView2 runtime from Microsoft, then start ${NAME}." /SD IDOK
  ${EndIf}
SectionEnd

Section "Uninstall"
  Delete "$INSTDIR\caliber-app.exe"
  Delete "$INSTDIR\caliber.exe"
  Delete "$INSTDIR\WebView2Loader.dll"
  Delete "$INSTDIR\uninstall.exe"
  RMDir "$INSTDIR"
  Delete "$SMPROGRAMS\${NAME}.lnk"
  DeleteRegKey HKCU "${UNINSTALL_KEY}"
  DeleteRegKey HKCU "Software\${IDENTIFIER}"
  DeleteRegKey HKCU "Software\Classes\caliber"
  ; The reader's articles and settings (%APPDATA%\${IDENTIFIER}) stay.
SectionEnd
