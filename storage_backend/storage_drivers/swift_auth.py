"""Swift authentication: one token and storage URL shared by every thread.

Three ways in: Swift's own v1 authentication (tempauth, swauth...), Keystone
v3 with a password, or a token issued beforehand with its storage URL. The
token is obtained once and reused until Swift refuses it; then exactly one
thread authenticates again while the others wait for its result.

Refused credentials raise :class:`ConfigError`, which is not retried: trying
a wrong password again only brings an account lockout closer.
"""

import threading
from urllib.parse import urlsplit

import requests
import urllib3
from swiftclient.client import get_auth_1_0
from swiftclient.exceptions import ClientException

from .errors import ConfigError, StorageUnavailable
from .fs_driver import redact_url

AUTH_VERSIONS = ("1", "3")
INTERFACES = ("public", "internal", "admin")


class SwiftAuth:
    """Obtains a token when none is known, and shares it between threads."""

    def __init__(
        self,
        *,
        auth_url=None,
        user=None,
        key=None,
        auth_version="1",
        project=None,
        user_domain="Default",
        project_domain="Default",
        region=None,
        interface="public",
        token=None,
        storage_url=None,
        timeout=30.0,
        insecure=False,
    ):
        auth_version = str(auth_version or "1").removeprefix("v").partition(".")[0]
        if auth_version not in AUTH_VERSIONS:
            raise ConfigError(f"unsupported Swift auth version {auth_version!r} (use 1 or 3)")
        if interface not in INTERFACES:
            raise ConfigError(f"endpoint interface must be one of {', '.join(INTERFACES)}")
        if auth_url:
            if urlsplit(auth_url).scheme not in ("http", "https"):
                raise ConfigError(f"the auth URL must start with http(s)://: {auth_url!r}")
            if not (user and key):
                raise ConfigError("Swift authentication needs a user and a key (password)")
            if auth_version == "3" and not project:
                raise ConfigError("Keystone v3 authentication needs a project")
        elif not (token and storage_url):
            raise ConfigError("set an auth URL with credentials, or a token and a storage URL")
        self.auth_url = auth_url
        self.user = user
        self._key = key
        self.auth_version = auth_version
        self.project = project
        self.user_domain = user_domain or "Default"
        self.project_domain = project_domain or "Default"
        self.region = region
        self.interface = interface
        self.storage_url_override = storage_url
        self.timeout = timeout
        self.insecure = insecure
        self._token = token
        self._storage_url = storage_url if token else None
        self._lock = threading.Lock()
        #: how many times this object obtained a token (for tests and logs)
        self.authentications = 0

    @property
    def where(self):
        """The authentication endpoint, for messages."""
        return redact_url(self.auth_url or self.storage_url_override)

    @property
    def can_reauthenticate(self):
        return bool(self.auth_url)

    def credentials(self):
        """``(storage_url, token)``, authenticating only when there is no token."""
        with self._lock:
            if self._token is None:
                if not self.auth_url:
                    raise ConfigError(
                        "Swift refused the pre-issued token; it has expired or was revoked"
                    )
                self._storage_url, self._token = self._authenticate()
                self.authentications += 1
            return self._storage_url, self._token

    def invalidate(self, token):
        """Forget ``token`` after Swift refused it (unless already replaced)."""
        with self._lock:
            if self._token == token:
                self._token = None

    # -- protocols -----------------------------------------------------------------

    def _authenticate(self):
        if self.auth_version == "3":
            storage_url, token = self._authenticate_keystone_v3()
        else:
            storage_url, token = self._authenticate_v1()
        return self.storage_url_override or storage_url, token

    def _authenticate_v1(self):
        try:
            storage_url, token = get_auth_1_0(
                self.auth_url,
                self.user,
                self._key,
                timeout=self.timeout,
                insecure=self.insecure,
            )
        except ClientException as error:
            if error.http_status in (401, 403):
                raise ConfigError(
                    f"Swift at {self.where} refused the credentials of user {self.user!r} "
                    f"({error.http_status} {error.http_reason}): check the user and key"
                ) from error
            if error.http_status and error.http_status < 500:
                raise ConfigError(
                    f"{self.where} answered {error.http_status} {error.http_reason}: "
                    "is it a Swift v1 authentication URL (…/auth/v1.0)?"
                ) from error
            raise StorageUnavailable(
                f"Swift authentication at {self.where} failed: {error}"
            ) from error
        except requests.RequestException as error:
            raise StorageUnavailable(
                f"the Swift authentication service at {self.where} is unreachable: "
                f"{network_reason(error)}"
            ) from error
        if not (storage_url and token):
            raise ConfigError(f"{self.where} returned no storage URL or token")
        return storage_url, token

    def _authenticate_keystone_v3(self):
        url = self.auth_url.rstrip("/")
        if not url.endswith("/v3"):
            url += "/v3"
        body = {
            "auth": {
                "identity": {
                    "methods": ["password"],
                    "password": {
                        "user": {
                            "name": self.user,
                            "domain": {"name": self.user_domain},
                            "password": self._key,
                        }
                    },
                },
                "scope": {
                    "project": {"name": self.project, "domain": {"name": self.project_domain}}
                },
            }
        }
        try:
            response = requests.post(
                f"{url}/auth/tokens",
                json=body,
                timeout=self.timeout,
                verify=not self.insecure,
            )
        except requests.RequestException as error:
            raise StorageUnavailable(
                f"Keystone at {self.where} is unreachable: {network_reason(error)}"
            ) from error
        if response.status_code in (401, 403):
            raise ConfigError(
                f"Keystone at {self.where} refused the credentials of user {self.user!r} "
                f"for project {self.project!r} ({response.status_code} {response.reason}): "
                "check the user, password, project and domains"
            )
        if response.status_code >= 500:
            raise StorageUnavailable(
                f"Keystone at {self.where} failed: {response.status_code} {response.reason}"
            )
        token = response.headers.get("X-Subject-Token")
        try:
            catalog = response.json()["token"].get("catalog", [])
        except (ValueError, KeyError, TypeError, AttributeError):
            catalog = None
        if response.status_code != 201 or not token or catalog is None:
            raise ConfigError(
                f"{self.where} answered {response.status_code} {response.reason} without a "
                "Keystone v3 token: is it a Keystone v3 URL (https://host:5000/v3)?"
            )
        if self.storage_url_override:
            return self.storage_url_override, token
        return self._endpoint(catalog), token

    def _endpoint(self, catalog):
        """The object-store URL for the configured region and interface."""
        found = []
        for service in catalog:
            if service.get("type") != "object-store":
                continue
            for endpoint in service.get("endpoints", []):
                region = endpoint.get("region_id") or endpoint.get("region")
                found.append(f"{endpoint.get('interface')}@{region}")
                if endpoint.get("interface") == self.interface and (
                    not self.region or self.region == region
                ):
                    return endpoint["url"]
        raise ConfigError(
            f"the Keystone catalog has no {self.interface} object-store endpoint"
            + (f" in region {self.region!r}" if self.region else "")
            + (f" (found: {', '.join(found)})" if found else "")
        )


def network_reason(error):
    """The innermost cause of a network error: ``[Errno 111] Connection refused``."""
    reason = error
    for __ in range(8):  # requests > urllib3 > http.client / socket errors
        inner = getattr(reason, "reason", None)
        if not isinstance(inner, BaseException):
            args = getattr(reason, "args", ())
            inner = next((arg for arg in reversed(args) if isinstance(arg, BaseException)), None)
        if inner is None and isinstance(reason, urllib3.exceptions.NewConnectionError):
            inner = reason.__context__
        if inner is None or inner is reason:
            break
        reason = inner
    text = str(reason)
    if text.startswith("<") and ">: " in text:  # "<HTTPConnection object at 0x...>: ..."
        text = text.split(">: ", 1)[1]
    return text or type(reason).__name__
