"""Reference results (published or produced by other software), with the command that made them."""
