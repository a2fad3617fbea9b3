"""The demo SFM model (the Central Interstate LLRW Compact case) and its loader."""
