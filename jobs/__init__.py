"""Time-driven workflows. Each is `run(...)` with time injected; APScheduler only says when."""
