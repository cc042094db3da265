"""SQLite for unidesk: Django's backend, with writers queueing in-process (see ``base``)."""
