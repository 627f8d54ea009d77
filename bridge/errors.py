"""Error types of the bridge.

Every error that reaches a client is turned into an error reply whose message starts with a short
code (``"<code>: <details>"``, see docs/protocol.md), so clients can branch on the code without
parsing prose. Codes:

- ``malformed``: the bytes or frames could not be decoded (:class:`ProtocolError`).
- ``invalid``: a well-formed request with bad content (:class:`RequestError`, the default).
- ``incomplete``: a chunked upload ended with samples missing (the client may resend and end again).
- ``busy``: the request was dropped because a bounded queue or table was full, or a newer request
  from the same client superseded it.
- ``timeout``: the request waited longer than the request timeout before a worker took it.
- ``internal``: the engine failed unexpectedly (a bug; the server keeps serving).
"""

from __future__ import annotations

CODE_MALFORMED = "malformed"
CODE_INVALID = "invalid"
CODE_INCOMPLETE = "incomplete"
CODE_BUSY = "busy"
CODE_TIMEOUT = "timeout"
CODE_INTERNAL = "internal"

ERROR_CODES = (
    CODE_MALFORMED,
    CODE_INVALID,
    CODE_INCOMPLETE,
    CODE_BUSY,
    CODE_TIMEOUT,
    CODE_INTERNAL,
)


class BridgeError(Exception):
    """Base class of errors that become error replies.

    Args:
        message: Human-readable reason, naming the bad field or argument.
        request_id: The id of the request the error belongs to, when it could be read.
        code: One of :data:`ERROR_CODES`; the subclass default when omitted.
        cmd: The request family (``"match"``, ``"ping"``, ...) when it could be read.
    """

    default_code = CODE_INVALID

    def __init__(
        self,
        message: str,
        *,
        request_id: int | None = None,
        code: str | None = None,
        cmd: str | None = None,
    ):
        super().__init__(message)
        self.message = message
        self.request_id = request_id
        self.cmd = cmd
        self.code = code if code is not None else self.default_code
        if self.code not in ERROR_CODES:
            raise ValueError(f"unknown error code {self.code!r}; expected one of {ERROR_CODES}")


class ProtocolError(BridgeError):
    """Malformed bytes or frames: the message could not be decoded at all."""

    default_code = CODE_MALFORMED


class RequestError(BridgeError):
    """A well-formed request that is invalid (bad argument, bad audio, unknown address, ...)."""

    default_code = CODE_INVALID
