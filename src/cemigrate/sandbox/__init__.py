"""Platform emulators and the deterministic demo help desk they seed themselves from."""
