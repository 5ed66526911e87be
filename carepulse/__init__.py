"""The application shell: settings, storage, ingest, CLI, charts, report and UI helpers."""
