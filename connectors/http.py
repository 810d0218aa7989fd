"""The one HTTP client of the live sources (Slack, HubSpot, Zendesk): JSON over httpx, with
the rate-limit and failure rules every source needs in one place.

- A 429 waits as long as its ``Retry-After`` header says (capped by ``max_wait``), then
  retries; so does a 5xx, with a short doubling back-off, ``retries`` times at most.
- ``pace`` spaces consecutive requests (seconds between two calls), so a sync stays within the
  tier an API documents instead of running into its 429s.
- A 401/403 stops the source with an error that names the variable holding the token; the
  token itself never appears in an error, a log line or a repr.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

import httpx

from connectors.base import ApiSource, SourceError

log = logging.getLogger(__name__)


class AuthError(SourceError):
    """The API refused the credentials (401/403)."""


class RequestError(SourceError):
    """The API refused the request itself (a 4xx other than 401/403/429): ``status``."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


class ApiClient:
    def __init__(
        self,
        name: str,
        base_url: str,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        token_hint: str = "the API token",
        pace: float = 0.0,
        retries: int = 5,
        max_wait: float = 120.0,
        timeout: float = 30.0,
        sleep: Callable[[float], None] | None = None,  # time.sleep; a test passes its own
    ) -> None:
        self.name = name
        self.base_url = base_url.rstrip("/")
        self.token_hint = token_hint
        self.pace = pace
        self.retries = retries
        self.max_wait = max_wait
        self.sleep = sleep or time.sleep
        self.calls = 0
        self.waited = 0.0  # seconds spent waiting on 429s
        self._last = 0.0
        self._http = httpx.Client(headers=headers, auth=auth, timeout=timeout)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> ApiClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        return self.request("GET", path, params=params)

    def post(self, path: str, body: Any = None, form: dict[str, Any] | None = None) -> Any:
        return self.request("POST", path, json=body, data=form)

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        url = (
            path
            if path.startswith(("http://", "https://"))
            else f"{self.base_url}/{path.lstrip('/')}"
        )
        shown = url.split("?", 1)[0]
        backoff = 1.0
        for attempt in range(self.retries + 1):
            self._wait_pace()
            try:
                response = self._http.request(method, url, **kwargs)
            except httpx.HTTPError as exc:
                if attempt >= self.retries:
                    raise SourceError(
                        f"{self.name}: cannot reach {shown}: {type(exc).__name__}"
                    ) from None
                self.sleep(backoff)
                backoff = min(backoff * 2, 30)
                continue
            finally:
                self.calls += 1
                self._last = time.monotonic()
            status = response.status_code
            if status == 429:
                wait = _retry_after(response.headers.get("Retry-After"), default=backoff)
                if attempt >= self.retries or wait > self.max_wait:
                    raise SourceError(
                        f"{self.name}: rate limited by {shown} (Retry-After {wait:g}s); "
                        "the next sync continues from the last committed batch"
                    )
                log.info(
                    "%s: 429 from %s, waiting %.1fs as Retry-After says", self.name, shown, wait
                )
                self.waited += wait
                self.sleep(wait)
                continue
            if status in (401, 403):
                raise AuthError(
                    f"{self.name}: {shown} refused the credentials (HTTP {status}): check "
                    f"{self.token_hint} and its scopes"
                )
            if status >= 500:
                if attempt >= self.retries:
                    raise SourceError(
                        f"{self.name}: {shown} failed with HTTP {status} {self.retries + 1} times; "
                        "the next sync continues from the last committed batch"
                    )
                self.sleep(backoff)
                backoff = min(backoff * 2, 30)
                continue
            if status >= 400:
                raise RequestError(
                    f"{self.name}: {shown} answered HTTP {status}: {_reason(response)}", status
                )
            try:
                return response.json()
            except ValueError:
                raise SourceError(f"{self.name}: {shown} did not answer JSON") from None
        raise AssertionError("unreachable")

    def _wait_pace(self) -> None:
        if self.pace > 0 and self._last:
            gap = self.pace - (time.monotonic() - self._last)
            if gap > 0:
                self.sleep(gap)


def _retry_after(value: str | None, default: float) -> float:
    try:
        return max(0.0, float(value)) if value is not None else default
    except ValueError:
        return default


def _reason(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.reason_phrase
    if isinstance(body, dict):
        for key in ("message", "error", "description"):
            if isinstance(body.get(key), str):
                return body[key][:200]
    return response.reason_phrase


class ApiConnector:
    """What the connectors read through an ``ApiClient`` share (HubSpot, Zendesk): the client
    built from the source's entry (paced at the API's ``default_pace`` unless the entry says
    otherwise), closing one closes its client, and the customer ids it mints start with its
    ``id_prefix``."""

    connector: str
    id_prefix: str
    default_pace: float  # seconds between two calls within the API's documented rate limit
    api: ApiClient

    def __init__(
        self,
        source: ApiSource,
        url: str,
        token_hint: str,
        *,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
    ) -> None:
        """The client of ``source`` at its ``base_url`` (else ``url``, the API's own), with
        the credentials in ``headers`` or ``auth`` and ``token_hint`` naming where they are set."""
        self.name = source.name
        self.api = ApiClient(
            source.name,
            source.base_url or url,
            headers=headers,
            auth=auth,
            token_hint=token_hint,
            pace=self.default_pace if source.pace is None else source.pace,
            retries=source.retries,
        )

    def close(self) -> None:
        self.api.close()

    @classmethod
    def owns(cls, customer_id: str) -> bool:
        """Whether a c360 customer id is one of this source's own."""
        return customer_id.startswith(cls.id_prefix)
