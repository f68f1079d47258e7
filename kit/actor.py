"""Who is acting, as the gateway authenticated them and passed on in every gRPC request."""

from __future__ import annotations

from dataclasses import dataclass

# Every role of the suite (the built-in user store's and, mapped from its claims, the identity platform's).
ROLES = ("enterprise", "agent", "officer", "dept_head", "supervisor", "admin", "ops", "screen")
HANDLER_ROLES = ("officer", "dept_head")
WINDOW = "window"


@dataclass(frozen=True)
class Actor:
    username: str
    role: str
    department: str = ""
    enterprise: str = ""

    @property
    def at_window(self) -> bool:
        """An officer or head of the one window (综合窗口), who accepts stage applications."""
        return self.role in HANDLER_ROLES and self.department == WINDOW

    def for_enterprise(self, enterprise: str) -> Actor:
        """The same person acting for `enterprise` (an agent acting for the enterprise of a project)."""
        return Actor(self.username, self.role, self.department, enterprise)

    @classmethod
    def from_proto(cls, message) -> Actor:
        return cls(message.username, message.role, message.department, message.enterprise)

    def to_proto(self, message_type):
        return message_type(
            username=self.username, role=self.role, department=self.department, enterprise=self.enterprise
        )


SYSTEM = Actor("system", "system")


def department_scope(actor: Actor, department: str, what: str) -> str:
    """The department whose figures the actor may read: any (or all, when empty) for supervisors, admins, ops and
    the big screen's read-only account;
    only their own for a department's officers and head. `what` names the figures in the refusal."""
    from kit import errors

    if actor.role in ("supervisor", "admin", "ops", "screen"):
        return department
    if actor.role in HANDLER_ROLES:
        if department and department != actor.department:
            raise errors.Forbidden(f"只能查看本部门的{what}")
        return actor.department
    raise errors.Forbidden(f"无权查看{what}")
