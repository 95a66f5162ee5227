"""eonode: share Earth-observation satellite data through a network of data nodes."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("eonode")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0.0.0+source"

STAC_VERSION = "1.1.0"
