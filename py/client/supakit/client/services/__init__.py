"""The services: each operation written once, as a plan any transport runs."""

from .audit import Audit
from .base import UNSET, Service, operation
from .members import Members
from .organizations import Organizations
from .profiles import Profiles
from .projects import Projects
from .subscriptions import Subscriptions

__all__ = ["Audit", "Members", "Organizations", "Profiles", "Projects", "Service", "Subscriptions", "UNSET",
           "operation"]
