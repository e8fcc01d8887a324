"""ECS emulator: extends moto's ECS backend so that service deployments roll
out, tasks run and stop, and failures happen on purpose.  See docs/emulator.md."""

__version__ = "0.1.0"

from .patch import install  # noqa: E402,F401
