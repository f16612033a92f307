"""Client-side resilience patterns, each a switch in a profile (see ``settings``)."""
