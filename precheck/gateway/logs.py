"""The gateway's log: one format for its own lines and uvicorn's, as text or as JSON.

``LOG_FORMAT=text`` (the default) writes ``TIME LEVEL LOGGER: MESSAGE`` lines; ``json`` writes one
JSON object per line (``time`` in UTC ISO 8601, ``level``, ``logger``, ``message``, and
``exception`` with the error's type when there is one), for a log collector. uvicorn's own loggers
get the same handler, so the two never mix formats; its access log stays off (it would print link
tokens in paths). What the lines say is unchanged: bookings by number, never personal data.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class JsonFormatter(logging.Formatter):
    """One JSON object per record, on one line."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info and record.exc_info[0] is not None:
            entry["exception"] = record.exc_info[0].__name__
        return json.dumps(entry, ensure_ascii=False)


def dict_config(log_format: str, level: str = "INFO") -> dict[str, Any]:
    """A ``logging.config.dictConfig`` for the gateway and uvicorn (uvicorn's ``log_config``,
    which each worker process applies too)."""
    formatter: dict[str, Any] = ({"()": f"{__name__}.JsonFormatter"} if log_format == "json"
                                 else {"format": TEXT_FORMAT})
    handler = {"class": "logging.StreamHandler", "formatter": "gateway",
               "stream": "ext://sys.stderr"}
    loggers = {name: {"handlers": ["gateway"], "level": level, "propagate": False}
               for name in ("precheck", "uvicorn", "uvicorn.error")}
    loggers["uvicorn.access"] = {"handlers": [], "level": "WARNING", "propagate": False}
    return {"version": 1, "disable_existing_loggers": False,
            "formatters": {"gateway": formatter}, "handlers": {"gateway": handler},
            "loggers": loggers}
