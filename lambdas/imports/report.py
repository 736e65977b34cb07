"""An events file's report, as its job stores it: the totals, each rejected line (up to a cap), how far it got.

The same report is saved while the file is read (the progress a retried
attempt continues from), stored as the job's result when the file is done,
and kept with the job's error when reading had to stop: whatever happens,
the job says which lines were handled and how.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

# Rejected lines listed one by one; past this only counted (a file of garbage must not make a huge row).
MAX_LISTED_LINES = 1000


@dataclass
class Report:
    file: dict[str, Any]
    lines: int = 0  # every line up to this one (blank ones included) is handled
    accepted: int = 0
    duplicates: int = 0
    rejected: int = 0
    rejected_lines: list[dict[str, Any]] = field(default_factory=list)
    omitted: int = 0

    @classmethod
    def resume(cls, saved: Any, file: dict[str, Any]) -> Report:
        """The progress an earlier attempt saved for this same file version, or a fresh report."""
        if not isinstance(saved, Mapping) or saved.get("complete") is not False:
            return cls(file)
        version = ("bucket", "key", "etag")
        if not isinstance(saved.get("file"), Mapping) or any(saved["file"].get(k) != file.get(k) for k in version):
            return cls(file)
        return cls(
            file=file,
            lines=int(saved.get("lines", 0)),
            accepted=int(saved.get("accepted", 0)),
            duplicates=int(saved.get("duplicates", 0)),
            rejected=int(saved.get("rejected", 0)),
            rejected_lines=list(saved.get("rejectedLines", [])),
            omitted=int(saved.get("rejectedLinesOmitted", 0)),
        )

    def reject(self, line: int, problems: Sequence[Mapping[str, str]], event_id: str | None = None) -> None:
        self.rejected += 1
        if len(self.rejected_lines) >= MAX_LISTED_LINES:
            self.omitted += 1
            return
        entry: dict[str, Any] = {"line": line}
        if event_id is not None:
            entry["eventId"] = event_id
        entry["errors"] = [dict(p) for p in problems]
        self.rejected_lines.append(entry)

    def add(self, results: Sequence[Mapping[str, Any]], line_numbers: Sequence[int]) -> None:
        """`common.event_intake` results of one batch, whose events came from these lines."""
        for result, line in zip(results, line_numbers, strict=True):
            if result["status"] == "accepted":
                self.accepted += 1
            elif result["status"] == "duplicate":
                self.duplicates += 1
            else:
                self.reject(line, result["errors"], result.get("eventId"))

    def to_dict(self, *, complete: bool, stopped: Mapping[str, Any] | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {
            "file": self.file,
            "complete": complete,
            "lines": self.lines,
            "accepted": self.accepted,
            "duplicates": self.duplicates,
            "rejected": self.rejected,
            "rejectedLines": self.rejected_lines,
            "rejectedLinesOmitted": self.omitted,
        }
        if stopped is not None:
            out["stoppedAt"] = dict(stopped)
        return out
