"""keyconf: point AI clients at a relay key and Base URL, correctly and reversibly."""

__version__ = "0.1.0"
