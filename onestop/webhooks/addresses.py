"""Where a webhook may go: its URL's rules, and the addresses its host resolves to, asked
again at every delivery (a name that pointed outside may point inside tomorrow)."""
import ipaddress
import socket
from urllib.parse import urlsplit

from flask import current_app

from onestop.errors import Invalid
from onestop.i18n import lazy_gettext as _l

URL_MAX = 2000


class Refused(Exception):
    """The URL may not be called (now): the message says why."""


def clean_url(url: str) -> str:
    """The URL as it will be called, or Invalid on the url field."""
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
    return url


def _forbidden(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    mapped = getattr(address, "ipv4_mapped", None)
    address = mapped or address
    return (address.is_private or address.is_loopback or address.is_link_local
            or address.is_multicast or address.is_reserved or address.is_unspecified)


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
        inside = [str(a) for a in addresses if _forbidden(a)]
        if inside:
            raise Refused(f"{parts.hostname} resolves to an address inside the network "
                          f"({', '.join(sorted(set(inside)))}); an admin may allow it")
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
