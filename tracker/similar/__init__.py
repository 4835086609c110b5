"""Similar items: past and present items like the one being registered or read, near-duplicate
flags at registration, and a unit's past replies beside the draft editor."""
