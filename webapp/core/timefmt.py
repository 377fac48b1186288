"""Times as people read them: in the estate's own time zone (Asia/Shanghai unless it says
otherwise), never in UTC.  The database keeps UTC; pages convert at the last moment."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

DEFAULT_ZONE = "Asia/Shanghai"


def zone(tz: object) -> ZoneInfo:
    """A zone from a name or from anything with a ``timezone`` attribute (an estate)."""
    name = getattr(tz, "timezone", tz) or DEFAULT_ZONE
    try:
        return ZoneInfo(str(name))
    except Exception:  # an unknown zone name must not take a page down
        return ZoneInfo(DEFAULT_ZONE)


def local(value: datetime | None, tz: object = None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    if value is None:
        return ""
    return value.astimezone(zone(tz)).strftime(fmt)


def local_date(value: datetime | None, tz: object = None) -> str:
    return local(value, tz, "%Y-%m-%d")


# Zones that keep China Standard Time; people call it Beijing time whatever the zone's name.
_CHINA = {"Asia/Shanghai", "Asia/Chongqing", "Asia/Chungking", "Asia/Harbin", "PRC"}


def zone_label(tz: object = None) -> str:
    """How a page names the zone its times are in: "Beijing time" for China's, else the zone."""
    from flask_babel import gettext as _

    name = zone(tz).key
    return _("Beijing time") if name in _CHINA else name


def zone_names(tz: object = None) -> tuple[str, str]:
    """The zone's name for a message carrying both languages (zh, en): Beijing time for China's."""
    name = zone(tz).key
    return ("北京时间", "Beijing time") if name in _CHINA else (name, name)
