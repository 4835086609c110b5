"""Choose a font face per role, check that it has every character, and fall back when not.

Faces come from two places: fonts installed for fontconfig (found with ``fc-list``) and font
files in the letters' font folder (``instance/fonts`` by default, filled by ``make fonts``
with the free Fandol fonts). Installed faces are named in the CSS by their family; folder
faces are loaded with ``@font-face`` through the letters' URL fetcher.
"""
from __future__ import annotations

import functools
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from fontTools.ttLib import TTFont, TTLibError

PROJECT_ROOT = Path(__file__).resolve().parents[2]

# The roles of LETTER.md, each with its preference list, best first. An entry names a family,
# a full name or a PostScript name; "Family:bold" asks for the bold face of an installed family.
DEFAULT_FONTS: dict[str, list[str]] = {
    "body": ["仿宋_GB2312", "FangSong_GB2312", "仿宋", "FangSong", "FandolFang",
             "FandolFang-Regular", "Noto Serif CJK SC"],
    "title": ["方正小标宋简体", "方正小标宋_GBK", "FZXiaoBiaoSong-B05S", "FZXBSJW--GB1-0",
              "FandolSong-Bold", "Noto Serif CJK SC:bold", "FandolSong"],
    "heading1": ["黑体", "SimHei", "FandolHei", "FandolHei-Regular", "Noto Sans CJK SC"],
    "heading2": ["楷体_GB2312", "KaiTi_GB2312", "楷体", "KaiTi", "FandolKai",
                 "FandolKai-Regular", "LXGW WenKai", "Noto Serif CJK SC"],
    "digits": ["Times New Roman", "Liberation Serif", "DejaVu Serif"],
}
ROLES = tuple(DEFAULT_FONTS)
# Last-resort faces searched for a character that the chosen faces lack.
FALLBACK_FAMILIES = ["FandolSong", "FandolFang", "FandolHei", "FandolKai", "Noto Serif CJK SC",
                     "Noto Sans CJK SC", "LXGW WenKai"]
FONT_SUFFIXES = (".otf", ".ttf", ".ttc", ".otc")


@dataclass(frozen=True)
class Face:
    """One concrete font face: a file (and index in a collection) and how CSS names it."""

    name: str          # what the preference list matched, for reports
    path: str
    index: int = 0
    family: str = ""   # installed family name; empty for folder faces (loaded by @font-face)
    weight: int = 400

    @property
    def installed(self) -> bool:
        return bool(self.family)

    @property
    def label(self) -> str:
        return Path(self.path).stem if not self.installed else self.family


def fonts_dir() -> Path:
    """The folder of letter fonts: app config LETTER_FONTS_DIR, env, or instance/fonts."""
    value = _app_config("LETTER_FONTS_DIR") or os.environ.get("TRACKER_LETTER_FONTS_DIR")
    if value:
        return Path(value)
    instance = os.environ.get("TRACKER_INSTANCE_DIR")
    return Path(instance) / "fonts" if instance else PROJECT_ROOT / "instance" / "fonts"


def preferences() -> dict[str, list[str]]:
    """The preference list per role, with the app's LETTER_FONTS overriding the defaults."""
    prefs = {role: list(names) for role, names in DEFAULT_FONTS.items()}
    overrides = _app_config("LETTER_FONTS") or {}
    for role, names in dict(overrides).items():
        if role not in prefs:
            raise ValueError(f"unknown letter font role {role!r}")
        prefs[role] = [names] if isinstance(names, str) else list(names)
    return prefs


def _app_config(key: str):
    try:
        from flask import current_app, has_app_context
    except ImportError:  # pragma: no cover
        return None
    return current_app.config.get(key) if has_app_context() else None


@functools.cache
def _installed(name: str, bold: bool) -> Face | None:
    """An installed face whose family, full name or PostScript name is ``name``."""
    fmt = "%{file}\t%{index}\t%{family}\t%{fullname}\t%{postscriptname}\t%{weight}\n"
    try:
        out = subprocess.run(["fc-list", "--format", fmt], capture_output=True, text=True,
                             timeout=20, check=False).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    wanted = name.casefold()
    best: tuple[int, Face] | None = None
    for line in out.splitlines():
        parts = line.split("\t")
        if len(parts) != 6:
            continue
        path, index, families, fullnames, psname, weight = parts
        fams = [f.strip() for f in families.split(",")]
        names = {f.casefold() for f in fams}
        exact = {n.strip().casefold() for n in fullnames.split(",")} | {psname.casefold()}
        try:
            fc_weight = int(float(weight or 80))
        except ValueError:
            fc_weight = 80
        css_weight = 700 if fc_weight >= 200 else 400
        if wanted in exact:
            score = 0
        elif wanted in names:
            # Prefer the regular face (or the bold one when asked).
            score = 1 + abs((200 if bold else 80) - fc_weight)
        else:
            continue
        family = next((f for f in fams if f.casefold() == wanted), fams[0])
        face = Face(name, path, int(index or 0), family, css_weight)
        if best is None or score < best[0]:
            best = (score, face)
    return best[1] if best else None


@functools.cache
def _folder_faces(folder: str) -> tuple[tuple[frozenset[str], str, int], ...]:
    """(names, path, index) for each font file in the folder, names read from the name table."""
    result = []
    root = Path(folder)
    if not root.is_dir():
        return ()
    for path in sorted(root.iterdir()):
        if path.suffix.lower() not in FONT_SUFFIXES:
            continue
        count = 1
        if path.suffix.lower() in (".ttc", ".otc"):
            try:
                from fontTools.ttLib import TTCollection
                count = len(TTCollection(str(path), lazy=True).fonts)
            except (TTLibError, OSError):
                continue
        for index in range(count):
            try:
                font = TTFont(str(path), fontNumber=index, lazy=True)
                names = {str(rec.toUnicode()).casefold() for rec in font["name"].names
                         if rec.nameID in (1, 4, 6, 16)}
            except (TTLibError, OSError, KeyError, UnicodeDecodeError):
                continue
            names.add(path.stem.casefold())
            result.append((frozenset(names), str(path), index))
    return tuple(result)


def find_face(name: str, folder: Path | None = None) -> Face | None:
    """The face a preference entry names: installed first, then the font folder."""
    base, _, style = name.partition(":")
    bold = style.strip().lower() == "bold"
    face = _installed(base, bold)
    if face is not None:
        return face
    wanted = base.casefold()
    for names, path, index in _folder_faces(str(folder or fonts_dir())):
        if wanted in names:
            return Face(name, path, index)
    return None


@functools.lru_cache(maxsize=64)
def _font_metrics(path: str, index: int) -> tuple[frozenset[int], dict[int, int], int]:
    """The face's code points, advance widths by code point, and units per em."""
    font = TTFont(path, fontNumber=index, lazy=True)
    cmap = font.getBestCmap() or {}
    hmtx = font["hmtx"].metrics
    widths = {cp: hmtx[glyph][0] for cp, glyph in cmap.items() if glyph in hmtx}
    return frozenset(cmap), widths, font["head"].unitsPerEm


def coverage(face: Face) -> frozenset[int]:
    return _font_metrics(face.path, face.index)[0]


def advance(face: Face, text: str, size: float, letter_spacing: float = 0.0) -> float:
    """The width in points of ``text`` set in ``face`` at ``size`` points."""
    _, widths, upem = _font_metrics(face.path, face.index)
    total = sum(widths.get(ord(ch), upem) for ch in text) * size / upem
    return total + letter_spacing * len(text)


# Characters that never need a glyph (line breaks, spaces handled by the layout).
_IGNORED = {0x0a, 0x0d, 0x09, 0x20, 0xa0}


@dataclass
class RoleFonts:
    role: str
    faces: list[Face]  # the chosen face first, then fallbacks for missing characters


def choose(texts: dict[str, str]) -> tuple[dict[str, RoleFonts], list[str]]:
    """Pick the face per role, then fall back for characters it lacks; report both."""
    folder = fonts_dir()
    prefs = preferences()
    warnings: list[str] = []
    chosen: dict[str, RoleFonts] = {}
    for role in ROLES:
        face = next((f for f in map(lambda n: find_face(n, folder), prefs[role]) if f), None)
        if face is None and role == "digits":
            face = chosen["body"].faces[0] if chosen.get("body") else None
        if face is None:
            face = next((f for f in (find_face(n, folder) for n in FALLBACK_FAMILIES) if f),
                        None)
            if face is None:
                raise RuntimeError("没有可用的中文字体：请运行 make fonts 或安装 fonts-noto-cjk")
            warnings.append(f"字体角色 {role} 的首选字体都未安装，改用 {face.label}")
        chosen[role] = RoleFonts(role, [face])

    candidates: list[Face] = []
    for name in [n for role in ROLES for n in prefs[role]] + FALLBACK_FAMILIES:
        face = find_face(name, folder)
        if face is not None and face not in candidates:
            candidates.append(face)

    for role, fonts in chosen.items():
        text = texts.get(role, "")
        wanted = {ord(ch) for ch in text} - _IGNORED
        missing = sorted(wanted - coverage(fonts.faces[0]))
        if role == "digits":
            # The digits face only sets the page numbers; the body face backs it up.
            body = chosen["body"].faces[0]
            if body not in fonts.faces:
                fonts.faces.append(body)
            missing = sorted(set(missing) - coverage(body))
        for cp in missing:
            if any(cp in coverage(f) for f in fonts.faces[1:]):
                holder = next(f for f in fonts.faces[1:] if cp in coverage(f))
            else:
                holder = next((f for f in candidates if cp in coverage(f)), None)
                if holder is not None:
                    fonts.faces.append(holder)
            char = chr(cp)
            if holder is None:
                warnings.append(f"字符「{char}」(U+{cp:04X}) 在所有可用字体中都缺失（{role}）")
            else:
                warnings.append(f"字符「{char}」(U+{cp:04X}) 在 {fonts.faces[0].label} 中缺失，"
                                f"改用 {holder.label}（{role}）")
    return chosen, warnings
