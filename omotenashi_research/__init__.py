"""omotenashi_research: measure service behaviours in Japanese and English transcripts."""

__version__ = "0.1.0"
