; Inno Setup script of the CityPatrol Windows installer (UNTESTED on the Linux machine the rest
; is built on: .github/workflows/installers.yml builds and self-tests it on windows-latest).
;
;   iscc /DAppVersion=0.1.0 /DSourceDir=..\..\dist\citypatrol packaging\windows\citypatrol.iss
;
; Per-machine install under Program Files (administrator rights, as an IT department rolls it
; out, also silently: setup.exe /VERYSILENT /SUPPRESSMSGBOXES /NORESTART), a Start-menu entry,
; an uninstaller. A newer setup run over an older install upgrades it in place: the same AppId
; finds the old folder, the running app is asked to close, and the old bundle's files are removed
; first so no library of the previous version lingers. The user's data (cases, photos, the
; settings) lives in %LOCALAPPDATA%\CityPatrol, never in the install folder: neither an upgrade
; nor the uninstaller touches it.

#ifndef AppVersion
  #define AppVersion "0.0.0"
#endif
#ifndef SourceDir
  #define SourceDir "..\..\dist\citypatrol"
#endif

[Setup]
; Never change the AppId: it is how an upgrade finds the installed copy.
AppId={{7D4C2A61-3B8E-4F5A-9C1D-2E6B8A0F4C37}
AppName=CityPatrol
AppVerName=CityPatrol {#AppVersion}
AppVersion={#AppVersion}
VersionInfoVersion={#AppVersion}
AppPublisher=CityPatrol
AppPublisherURL=https://citypatrol.example.gov.cn
DefaultDirName={autopf}\CityPatrol
DefaultGroupName=CityPatrol
DisableProgramGroupPage=yes
PrivilegesRequired=admin
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
OutputDir=..\..\dist
OutputBaseFilename=CityPatrol-{#AppVersion}-windows-x64-setup
SetupIconFile=..\..\resources\icons\citypatrol.ico
UninstallDisplayIcon={app}\citypatrol.exe
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
CloseApplications=yes
RestartApplications=no

[Languages]
Name: "en"; MessagesFile: "compiler:Default.isl"
Name: "zh_CN"; MessagesFile: "compiler:Languages\ChineseSimplified.isl"

[InstallDelete]
; An upgrade replaces the bundle whole (a library dropped in a new version must not stay behind).
Type: filesandordirs; Name: "{app}\_internal"

[Files]
Source: "{#SourceDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{autoprograms}\CityPatrol"; Filename: "{app}\citypatrol.exe"; Comment: "CityPatrol 城市巡查"
Name: "{autodesktop}\CityPatrol"; Filename: "{app}\citypatrol.exe"; Tasks: desktopicon

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Run]
Filename: "{app}\citypatrol.exe"; Description: "{cm:LaunchProgram,CityPatrol}"; Flags: nowait postinstall skipifsilent
