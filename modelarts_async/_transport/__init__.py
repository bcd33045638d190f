"""The way to the wire: the `Sender` interface, its aiohttp and httpx senders, network settings, wire errors."""
