"""Build the Linux installers of the desktop client: a .deb and an AppImage (``./dev.sh package``).

    .venv/bin/python scripts/package_linux.py [--bundle dist/citypatrol] [--out dist]
                                              [--appimage-runtime FILE]

Without ``--bundle`` the PyInstaller bundle is built first (scripts/build_client.py). Writes
``dist/citypatrol_<version>_<arch>.deb`` and ``dist/CityPatrol-<version>-<arch>.AppImage``.

The .deb installs the bundle under /opt/citypatrol, a launcher /usr/bin/citypatrol, the desktop
entry, the icons in the hicolor theme and the AppStream metadata. It has no maintainer scripts:
dpkg removes every file it installed, and the icon cache and desktop database are refreshed by
the triggers of hicolor-icon-theme and desktop-file-utils where those are installed. The user's
data (the per-user data folder) is never the package's, so removal leaves it alone.

The AppImage is the AppDir (the bundle, AppRun, the desktop entry, the icon) packed with
mksquashfs behind the AppImage type 2 runtime. That runtime (the ELF stub that mounts or extracts
the image) is published only as a GitHub release asset (AppImage/type2-runtime) — neither Debian
nor PyPI carries it — so it must be given with ``--appimage-runtime``; without it the AppDir and
the squashfs image are written and the AppImage step says it was skipped.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.version import APP_ID, app_version  # noqa: E402 - after the path is set

PACKAGE = "citypatrol"
INSTALL_DIR = Path("opt") / PACKAGE
LINUX = ROOT / "packaging" / "linux"
ICONS = ROOT / "resources" / "icons" / "hicolor"
# What the bundle needs from the system: libc and the libraries Qt's xcb/offscreen platforms
# load that PyInstaller leaves to the system (the graphics stack, fontconfig, D-Bus).
DEPENDS = [
    "libc6 (>= 2.31)",
    "libfontconfig1",
    "libfreetype6",
    "libglib2.0-0",
    "libegl1",
    "libgl1",
    "libxkbcommon0",
    "libdbus-1-3",
]
# A window on X11 (Wayland needs none of these); without them only the headless CLI works.
RECOMMENDS = [
    "libxkbcommon-x11-0",
    "libxcb-cursor0",
    "libxcb-icccm4",
    "libxcb-image0",
    "libxcb-keysyms1",
    "libxcb-render-util0",
    "libxcb-shape0",
    "libxcb-xkb1",
]
LAUNCHER = """#!/bin/sh
# CityPatrol launcher (installed by the citypatrol package): the program lives in /opt.
exec /opt/citypatrol/citypatrol "$@"
"""
APPRUN = """#!/bin/sh
# AppImage entry point: run the bundle inside this AppDir (mounted or extracted).
HERE="$(dirname "$(readlink -f "$0")")"
exec "$HERE/usr/lib/citypatrol/citypatrol" "$@"
"""


def architecture() -> str:
    return subprocess.run(
        ["dpkg", "--print-architecture"], capture_output=True, text=True, check=True
    ).stdout.strip()


def tree_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def metainfo(version: str) -> str:
    text = (LINUX / f"{APP_ID}.metainfo.xml").read_text(encoding="utf-8")
    today = datetime.now(UTC).date().isoformat()
    return text.replace("@VERSION@", version).replace("@DATE@", today)


def install_desktop_files(root: Path, version: str) -> None:
    """The desktop entry, the metainfo and the icons under ``root``/usr/share."""
    share = root / "usr" / "share"
    (share / "applications").mkdir(parents=True)
    shutil.copy2(LINUX / f"{APP_ID}.desktop", share / "applications" / f"{APP_ID}.desktop")
    (share / "metainfo").mkdir(parents=True)
    (share / "metainfo" / f"{APP_ID}.metainfo.xml").write_text(metainfo(version), encoding="utf-8")
    for icon in ICONS.glob("*/apps/citypatrol.*"):
        target = share / "icons" / "hicolor" / icon.relative_to(ICONS)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(icon, target)


def build_deb(bundle: Path, out: Path, version: str, arch: str, *, fast: bool = False) -> Path:
    with tempfile.TemporaryDirectory(prefix="citypatrol-deb-") as tmp:
        root = Path(tmp) / "root"
        shutil.copytree(bundle, root / INSTALL_DIR, symlinks=True)
        launcher = root / "usr" / "bin" / PACKAGE
        launcher.parent.mkdir(parents=True)
        launcher.write_text(LAUNCHER, encoding="utf-8")
        launcher.chmod(0o755)
        install_desktop_files(root, version)
        doc = root / "usr" / "share" / "doc" / PACKAGE
        doc.mkdir(parents=True)
        shutil.copy2(ROOT / "resources" / "fonts" / "OFL.txt", doc / "font-OFL.txt")
        installed_kib = (tree_size(root) + 1023) // 1024
        sums = []
        for path in sorted(p for p in root.rglob("*") if p.is_file() and not p.is_symlink()):
            digest = hashlib.md5(path.read_bytes(), usedforsecurity=False).hexdigest()
            sums.append(f"{digest}  {path.relative_to(root)}\n")
        debian = root / "DEBIAN"
        debian.mkdir()
        (debian / "md5sums").write_text("".join(sums), encoding="utf-8")
        (debian / "control").write_text(
            f"Package: {PACKAGE}\n"
            f"Version: {version}\n"
            f"Architecture: {arch}\n"
            "Maintainer: CityPatrol <support@citypatrol.example.gov.cn>\n"
            f"Installed-Size: {installed_kib}\n"
            f"Depends: {', '.join(DEPENDS)}\n"
            f"Recommends: {', '.join(RECOMMENDS)}\n"
            "Section: misc\n"
            "Priority: optional\n"
            "Homepage: https://citypatrol.example.gov.cn\n"
            "Description: CityPatrol 城市巡查 — offline-first city field inspection client\n"
            " Inspectors record city management problems (category, description, photos,\n"
            " position) without a network and synchronise with the central server later.\n",
            encoding="utf-8",
        )
        for path in [root, *root.rglob("*")]:
            if path.is_dir() and not path.is_symlink():
                path.chmod(0o755)
        out.mkdir(parents=True, exist_ok=True)
        deb = out / f"{PACKAGE}_{version}_{arch}.deb"
        # A release is xz (readable by every dpkg; two minutes on two cores); --fast is zstd
        # (seconds; dpkg ≥ 1.21.18, Debian 12 and later) for the tests. --root-owner-group:
        # root owns everything without fakeroot.
        compression = ["-Zzstd", "-z3"] if fast else ["-Zxz", "-z6"]
        subprocess.run(
            ["dpkg-deb", "--root-owner-group", *compression, "--build", str(root), str(deb)],
            check=True, stdout=subprocess.DEVNULL,
        )  # fmt: skip
    return deb


def build_appdir(bundle: Path, appdir: Path, version: str) -> None:
    shutil.copytree(bundle, appdir / "usr" / "lib" / PACKAGE, symlinks=True)
    install_desktop_files(appdir, version)
    # The AppImage spec wants the desktop entry and the icon at the AppDir's top.
    shutil.copy2(LINUX / f"{APP_ID}.desktop", appdir / f"{APP_ID}.desktop")
    shutil.copy2(ICONS / "256x256" / "apps" / "citypatrol.png", appdir / "citypatrol.png")
    (appdir / ".DirIcon").symlink_to("citypatrol.png")
    apprun = appdir / "AppRun"
    apprun.write_text(APPRUN, encoding="utf-8")
    apprun.chmod(0o755)


def build_appimage(
    bundle: Path, out: Path, version: str, arch: str, runtime: Path | None
) -> tuple[Path, Path | None]:
    """The AppDir (always) and the AppImage (with a runtime); returns both paths."""
    machine = {"amd64": "x86_64", "arm64": "aarch64"}.get(arch, arch)
    appdir = out / f"CityPatrol-{version}-{machine}.AppDir"
    shutil.rmtree(appdir, ignore_errors=True)
    build_appdir(bundle, appdir, version)
    if runtime is None:
        return appdir, None
    squashfs = out / f"CityPatrol-{version}-{machine}.squashfs"
    squashfs.unlink(missing_ok=True)
    # Options of appimagetool: root-owned files, no xattrs, zstd (the type 2 runtime reads it).
    subprocess.run(
        ["mksquashfs", str(appdir), str(squashfs), "-root-owned", "-noappend", "-no-xattrs",
         "-comp", "zstd", "-quiet"],
        check=True, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    image = out / f"CityPatrol-{version}-{machine}.AppImage"
    with image.open("wb") as target:
        target.write(runtime.read_bytes())
        with squashfs.open("rb") as source:
            shutil.copyfileobj(source, target, 1 << 20)
    squashfs.unlink()
    image.chmod(0o755)
    return appdir, image


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--bundle", type=Path, help="a built bundle (default: build one)")
    parser.add_argument("--out", type=Path, default=ROOT / "dist")
    parser.add_argument(
        "--appimage-runtime",
        type=Path,
        default=Path(os.environ["APPIMAGE_RUNTIME"])
        if os.environ.get("APPIMAGE_RUNTIME")
        else None,
        help="the AppImage type 2 runtime (runtime-x86_64 of AppImage/type2-runtime); "
        "default $APPIMAGE_RUNTIME",
    )
    parser.add_argument("--no-appimage", action="store_true")
    parser.add_argument(
        "--fast", action="store_true", help="quick compression (tests), not for a release"
    )
    args = parser.parse_args()
    bundle: Path = args.bundle or args.out / PACKAGE
    if args.bundle is None:
        built = subprocess.run(
            [sys.executable, str(ROOT / "scripts" / "build_client.py"), "--dist", str(args.out)],
            check=False,
        )
        if built.returncode != 0:
            return built.returncode
    if not (bundle / PACKAGE).is_file():
        print(f"error: no bundle at {bundle}", file=sys.stderr)
        return 1
    version, arch = app_version(), architecture()
    print(f"bundle {bundle}: {tree_size(bundle) / 2**20:.1f} MiB")
    deb = build_deb(bundle, args.out, version, arch, fast=args.fast)
    print(f"built {deb} ({deb.stat().st_size / 2**20:.1f} MiB)")
    if not args.no_appimage:
        appdir, image = build_appimage(bundle, args.out, version, arch, args.appimage_runtime)
        if image is None:
            print(
                f"AppDir {appdir} written; AppImage skipped: no runtime given "
                "(--appimage-runtime or $APPIMAGE_RUNTIME; see this script's docstring)"
            )
        else:
            print(f"built {image} ({image.stat().st_size / 2**20:.1f} MiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
