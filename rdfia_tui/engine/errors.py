"""The engine's own exceptions: each carries a one-line message a person can act on."""


class RdfiaError(Exception):
    """Base class for every error caused by the user's input or environment."""

    exit_code = 1


class ConfigError(RdfiaError):
    """A preset, an override or a value is invalid."""

    exit_code = 2

    def __init__(self, message: str, key: str | None = None) -> None:
        super().__init__(message)
        self.key = key


class DataError(RdfiaError):
    """A dataset is missing or malformed."""

    exit_code = 2


class ArchitectureError(RdfiaError):
    """The model cannot be built for the input it would receive."""

    exit_code = 2

    def __init__(self, message: str, table: object | None = None) -> None:
        super().__init__(message)
        self.table = table


class DeviceError(RdfiaError):
    """The requested device does not exist on this machine."""

    exit_code = 2


class RecordError(RdfiaError):
    """The runs folder cannot be written or read."""

    exit_code = 2


class RecordWriteError(RecordError):
    """A record file could not be written (disk full, file too large, read-only); the previous one is intact."""

    exit_code = 1

    def __init__(self, path: object, reason: str) -> None:
        super().__init__(f"could not write {path} ({reason})")
        self.path, self.reason = path, reason


class ResourceError(RdfiaError):
    """The machine lacks what the run needs (memory); the message says what to change."""

    exit_code = 2

    def __init__(self, message: str, key: str | None = None) -> None:
        super().__init__(message)
        self.key = key
