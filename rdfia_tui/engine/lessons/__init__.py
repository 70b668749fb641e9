"""The course inside the console: each preset's lesson (lesson), the quantities it names computed from a config and
a run's epochs and checked against the engine (quantities), and the lesson as text (render). Torch-free."""
