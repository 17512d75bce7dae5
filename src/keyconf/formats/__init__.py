"""Editors of file formats that several clients share (`.env`, ...): each keeps every byte it does not own."""
