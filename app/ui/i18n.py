"""Installing Qt translators: the app's own strings and Qt's standard dialogs."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QTranslator

from app.paths import resources_dir

LANGUAGES = ("zh_CN", "en")


#: The translators this module installed, so that switching language removes them first.
_INSTALLED: list[QTranslator] = []


def install_translators(app: QCoreApplication, language: str) -> list[QTranslator]:
    """Load the translations for ``language`` (English loads only its plural forms).

    Translators installed by an earlier call are removed first: the language switches, it does
    not pile up (the last translator installed would otherwise win for every string).
    """
    while _INSTALLED:
        app.removeTranslator(_INSTALLED.pop())
    QLocale.setDefault(QLocale(language))
    installed = _INSTALLED
    own = QTranslator(app)
    if own.load(str(resources_dir() / "i18n" / f"citypatrol_{language}.qm")):
        app.installTranslator(own)
        installed.append(own)
    if not language.startswith("zh"):
        return list(installed)
    qt = QTranslator(app)
    if qt.load(f"qtbase_{language}", QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)):
        app.installTranslator(qt)
        installed.append(qt)
    return list(installed)
