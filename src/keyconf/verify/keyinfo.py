"""The key's remaining quota and expiry, from New API's `/api/usage/token/`."""

from __future__ import annotations

from keyconf.verify.findings import _looks_html
from keyconf.verify.network import _request, _Run


class KeyInfo:
    """Remaining quota (USD) and expiry of a key, from New API's /api/usage/token/ and /api/status."""

    def __init__(self, name: str | None, remaining_usd: float | None, used_usd: float | None, unlimited: bool,
                 expires_at: float | None, server: str | None = None, version: str | None = None):
        self.name = name
        self.remaining_usd = remaining_usd
        self.used_usd = used_usd
        self.unlimited = unlimited
        self.expires_at = expires_at  # Unix seconds; None: never
        self.server = server
        self.version = version

    def summary(self) -> str:
        """`$3.20 left, expires 2026-12-01`."""
        import time

        money = "unlimited quota" if self.unlimited or self.remaining_usd is None else \
            f"${max(self.remaining_usd, 0):.2f} left"
        if self.expires_at is None:
            return f"{money}, never expires"
        verb = "expired" if self.expires_at < time.time() else "expires"
        return f"{money}, {verb} {_day(self.expires_at)}"

    def to_json(self) -> dict:
        return {"name": self.name, "remaining_usd": self.remaining_usd, "used_usd": self.used_usd,
                "unlimited": self.unlimited, "expires_at": self.expires_at, "server": self.server,
                "version": self.version, "summary": self.summary()}


def _key_info(run: _Run, root: str, key: str) -> KeyInfo | None:
    status_future = run.spawn(lambda: _request(run, "GET", root + "/api/status", root, {}))
    usage, _ = _request(run, "GET", root + "/api/usage/token/", root, {"authorization": f"Bearer {key}"})
    status, _ = status_future.result()
    data = _json_data(usage)
    if not isinstance(data, dict):
        return None
    server = _json_data(status) or {}
    per_unit = server.get("quota_per_unit") if isinstance(server, dict) else None
    if not isinstance(per_unit, (int, float)) or per_unit <= 0:
        per_unit = 500000  # New API's default: $1 = 500,000 quota units

    def usd(value):
        return round(value / per_unit, 4) if isinstance(value, (int, float)) else None

    expires = data.get("expires_at")
    return KeyInfo(data.get("name"), usd(data.get("total_available")), usd(data.get("total_used")),
                   bool(data.get("unlimited_quota")),
                   expires if isinstance(expires, (int, float)) and expires > 0 else None,
                   server.get("system_name") if isinstance(server, dict) else None,
                   server.get("version") if isinstance(server, dict) else None)


def _json_data(response):
    if response is None or response.status_code != 200 or _looks_html(response):
        return None
    try:
        payload = response.json()
    except ValueError:
        return None
    return payload.get("data") if isinstance(payload, dict) else None


def _day(timestamp: float) -> str:
    import time

    return time.strftime("%Y-%m-%d", time.localtime(timestamp))
