"""Running Kairos on one machine: the embedded AWS emulator, fakes and runtime pumps."""
