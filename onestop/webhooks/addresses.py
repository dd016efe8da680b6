"""Where a webhook may go: its URL's rules, and the addresses its host resolves to, asked
again at every delivery (a name that pointed outside may point inside tomorrow)."""
import ipaddress
import socket
from urllib.parse import quote, urlsplit, urlunsplit

from flask import current_app

from onestop.errors import Invalid
from onestop.i18n import lazy_gettext as _l

URL_MAX = 2000
# What stays as typed in a path and a query (RFC 3986's characters there, and escapes made).
_PATH_SAFE = "/%:@!$&'()*+,;=-._~"
_QUERY_SAFE = _PATH_SAFE + "?"


class Refused(Exception):
    """The URL may not be called (now): the message says why."""


def clean_url(url: str) -> str:
    """The URL as it will be called (its host in IDNA's ASCII form, its path and query
    percent-encoded), or Invalid on the url field."""
    url = url.strip()
    parts = urlsplit(url)
    https_only = current_app.config["WEBHOOK_HTTPS_ONLY"]
    if len(url) > URL_MAX or parts.scheme not in ("https",) + (() if https_only else ("http",)):
        raise Invalid(_l("Give an https:// address.") if https_only
                      else _l("Give an http:// or https:// address."), field="url")
    try:
        port = parts.port
    except ValueError:
        port = -1
    if not parts.hostname or parts.username or parts.password or port == 0 or port == -1 \
            or parts.fragment or any(c.isspace() for c in url):
        raise Invalid(_l("This is not an address a system can be reached at (a host, no "
                         "user name or password, no #fragment)."), field="url")
    try:
        host = parts.hostname.encode("idna").decode("ascii")
    except UnicodeError:
        raise Invalid(_l("This is not an address a system can be reached at (a host, no "
                         "user name or password, no #fragment)."), field="url") from None
    if ":" in host:
        host = f"[{host}]"
    return urlunsplit((parts.scheme, host + (f":{port}" if port else ""),
                       quote(parts.path, safe=_PATH_SAFE), quote(parts.query, safe=_QUERY_SAFE),
                       ""))


def _forbidden(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Anything but a public unicast address, also inside an IPv6 address that carries an
    IPv4 one (mapped, 6to4, Teredo)."""
    if isinstance(address, ipaddress.IPv6Address):
        carried = address.ipv4_mapped or address.sixtofour or (address.teredo or (None, None))[1]
        if address.is_site_local or (carried is not None and _forbidden(carried)):
            return True
    return not address.is_global or address.is_multicast


def resolve(url: str, allow_private: bool) -> str:
    """The IP address to connect to for this URL: its host looked up now, and refused (Refused)
    when any of its addresses is loopback, link-local or private (unless allowed), so a name
    cannot point a delivery at the inside of the network."""
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        found = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as error:
        raise Refused(f"{parts.hostname} could not be resolved: {error}") from error
    addresses = [ipaddress.ip_address(info[4][0].split("%")[0]) for info in found]
    if not allow_private:
        inside = sorted({str(a) for a in addresses if _forbidden(a)})
        if inside:
            # Which addresses, for the server's log only: told to whoever typed the name, it
            # would map the inside of the network one name at a time.
            current_app.logger.warning("webhook %s refused: %s resolves to %s", url,
                                       parts.hostname, ", ".join(inside))
            raise Refused(f"{parts.hostname} resolves to an address inside the network; "
                          f"an admin may allow it")
    return str(addresses[0])


def check(url: str, allow_private: bool) -> str:
    """clean_url, and the host resolved now: an address inside the network is refused on the
    url field when registered, as it would be at delivery."""
    url = clean_url(url)
    try:
        resolve(url, allow_private)
    except Refused as refusal:
        raise Invalid(_l("This address cannot be called: %(why)s.", why=str(refusal)),
                      field="url") from refusal
    return url
