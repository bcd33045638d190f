"""Ways to authenticate to Huawei Cloud, as `httpx.Auth` classes usable with any httpx client.

- `AKSKAuth(ak, sk, security_token=None, project_id=None)`: signs each request (`SDK-HMAC-SHA256`).
- `TokenAuth(token)`: sends an IAM token you already have.
- `IAMPasswordAuth(username=..., password=..., domain_name=..., region=...)`: gets a token from IAM, refreshes it.
"""

from ._auth import AKSKAuth, TokenAuth
from ._iam import IAMPasswordAuth

__all__ = ["AKSKAuth", "IAMPasswordAuth", "TokenAuth"]
