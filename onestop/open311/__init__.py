"""Open311 GeoReport v2 at /open311/v2: the request types as services, a firm's cases as
service requests, over the same services and the same policy as the pages and the JSON API
(https://wiki.open311.org/GeoReport_v2)."""
