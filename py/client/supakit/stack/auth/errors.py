"""GoTrue's error responses: status, error code and message, in both API versions.

supabase-py sends `X-Supabase-Api-Version: 2024-01-01` and reads `code`; older
clients (no header) read `error_code` and `msg`. GoTrue answers each in its shape.
"""

from __future__ import annotations

from starlette.responses import JSONResponse

from ...errors import SupakitError

API_VERSION_HEADER = "X-Supabase-Api-Version"
API_VERSION_2024 = "2024-01-01"


class ApiError(SupakitError):
    """A refusal the local auth server answers as GoTrue would: HTTP status, error code, message."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message

    def body(self, new_api: bool) -> dict:
        if new_api:
            return {"code": self.code, "message": self.message}
        return {"code": self.status, "error_code": self.code, "msg": self.message}

    def response(self, api_version: str | None) -> JSONResponse:
        new_api = bool(api_version) and api_version >= API_VERSION_2024
        headers = {"x-sb-error-code": self.code}
        if new_api:
            headers[API_VERSION_HEADER] = API_VERSION_2024
        return JSONResponse(self.body(new_api), self.status, headers)


class WeakPassword(ApiError):
    """422 with the reasons, which supabase-py turns into AuthWeakPasswordError."""

    def __init__(self, message: str, reasons: list[str]):
        super().__init__(422, "weak_password", message)
        self.reasons = reasons

    def body(self, new_api: bool) -> dict:
        return super().body(new_api) | {"weak_password": {"reasons": self.reasons}}


def bad_request(code: str, message: str) -> ApiError:
    return ApiError(400, code, message)


def unprocessable(code: str, message: str) -> ApiError:
    return ApiError(422, code, message)


def forbidden(code: str, message: str) -> ApiError:
    return ApiError(403, code, message)


def not_found(code: str, message: str) -> ApiError:
    return ApiError(404, code, message)


INVALID_LOGIN = "Invalid login credentials"
