"""Kernel without business (issue 10, items 2 and 5): domains declare permissions, core imports no domain."""

from __future__ import annotations

import re

import grimp
import pytest

from anju.core import rbac
from anju.core.rbac import Role
from anju.startup import PERMISSION_MODULES, register_permissions

DOMAINS = [
    "access",
    "accounts",
    "alarms",
    "analytics",
    "devices",
    "facilities",
    "fees",
    "governance",
    "notices",
    "notify",
    "patrol",
    "privacy",
    "registry",
    "vision",
    "workorders",
    "web",
    "sim",
    "api",
    "main",
    "cli",
    "startup",
    "handlers",
    "models",
    "system_endpoints",
]


class TestPermissions:
    def test_each_domain_declares_its_permissions(self):
        register_permissions()
        declared = {p.value for p in rbac.declared()}
        assert len(declared) >= 37  # the 37 core.rbac held before, plus any a domain added since
        # Every domain permission is declared in that domain's own permissions module.
        for module in PERMISSION_MODULES:
            assert module.startswith("anju.") and module.endswith(".permissions")
        assert {"fees.read", "votes.manage", "self.service", "system.read"} <= declared

    def test_platform_admin_holds_every_permission_but_self_service(self):
        register_permissions()
        held = {p.value for p in rbac.permissions_of(Role.platform_admin)}
        assert held == {p.value for p in rbac.declared()} - {"self.service"}

    def test_declaring_a_permission_twice_with_other_roles_is_an_error(self):
        register_permissions()
        with pytest.raises(ValueError, match="declared twice"):
            rbac.declare("fees.read", roles=(Role.resident,))
        # The same declaration again is harmless (a module imported twice).
        assert rbac.declare("fees.read", roles=(Role.property_manager, Role.property_staff)) == "fees.read"


class TestKernelImportsNoDomain:
    def test_core_imports_no_domain_not_even_inside_functions(self):
        graph = grimp.build_graph("anju")
        found = [
            f"{i['importer']} -> {i['imported']} (l.{i['line_number']})"
            for d in DOMAINS
            for i in graph.find_matching_direct_imports(import_expression=f"anju.core.** -> anju.{d}")
            + graph.find_matching_direct_imports(import_expression=f"anju.core.** -> anju.{d}.**")
        ]
        assert found == []


class TestOperationIds:
    def test_operation_ids_from_one_function(self, client):
        schema = client.get("/openapi.json").json()
        ops = [
            (op["operationId"], op["tags"][0])
            for methods in schema["paths"].values()
            for op in methods.values()
            if isinstance(op, dict) and "operationId" in op
        ]
        assert len({o for o, _ in ops}) == len(ops)
        bad = [o for o, tag in ops if not re.fullmatch(rf"{re.escape(tag)}-[a-z_0-9]+", o)]
        assert bad == []
