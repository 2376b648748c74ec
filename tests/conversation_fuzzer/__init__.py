"""The conversation fuzzer: random whole conversations, checked turn by turn (fuzzer.py)."""
