"""The benchmark of the performance budgets (``bench/budgets.py``): the real bot in HTTP mode,
fake Slack and fake OpenAI on loopback, signed deliveries from a separate process, and a table
against the budgets.

Run it with ``python -m bench`` (``--help`` for sizes, rates and durations; ``--quick`` for a
short run).
"""
