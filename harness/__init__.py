"""Test and demo harness: real services on 127.0.0.1, started and stopped here.

Plain standard library, so pytest, Odoo tests and the shell scripts can all
import it. Every process it starts is registered and stopped on exit,
failure or Ctrl-C.
"""
