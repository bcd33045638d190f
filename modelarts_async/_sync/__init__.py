"""The synchronous client: the async client on an event loop of its own, in a background thread."""
