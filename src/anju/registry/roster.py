"""Resident roster (住户花名册) import and export, as .xlsx or .csv.

Import validates every row, reports every error by spreadsheet row and column,
and is idempotent: people are matched by ID number (blind index), else by name
and phone, else by name within the house, so importing the same file twice
changes nothing. Writes go through `person_service` and `move_in`, so change
records and events are the same as for edits in the console.

Export writes phone and ID numbers masked only. An exported file is for
viewing: importing it back is refused row by row, because a masked number
cannot identify anyone ("号码已脱敏，无法导入").

The work is split by sub-aggregate: `roster_columns` (columns, report, reading files), `roster_rows`
(one row's validation), `roster_queries`, `roster_import` (plan and apply) and `roster_export`;
this module is their public face.
"""

from __future__ import annotations

from anju.core import sheets as sheets
from anju.registry.roster_columns import CSV_MEDIA_TYPE as CSV_MEDIA_TYPE
from anju.registry.roster_columns import XLSX_MEDIA_TYPE as XLSX_MEDIA_TYPE
from anju.registry.roster_columns import ImportReport as ImportReport
from anju.registry.roster_columns import RosterFile as RosterFile
from anju.registry.roster_columns import RowError as RowError
from anju.registry.roster_export import export_roster as export_roster
from anju.registry.roster_export import export_roster_file as export_roster_file
from anju.registry.roster_import import import_roster as import_roster
from anju.registry.service import person_service as person_service
