"""The emulator's launcher-side pieces: WSGI app, faults, request log, control endpoint."""
