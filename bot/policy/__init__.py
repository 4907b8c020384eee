"""Policy checks asked by the domain before work is done: a yes, or a ``Refusal`` saying why."""
