"""Imports from other service desks: ServiceNow exports and any CSV with a mapping.

- :mod:`.servicenow` -- ServiceNow incident exports (audit style: several rows a number);
- :mod:`.csv_mapped` -- any CSV described by a TOML mapping (Jira, Zammad, osTicket...);
- :mod:`.writer` -- writes rows as tickets and history in batches, as the use cases would;
- :mod:`.common` -- streaming, error locations, rejects, batches, the summary;
- :mod:`.values` -- dates, booleans, levels and priorities as other tools write them.
"""
