"""An import-linter contract type: private internals of external packages are touched by one module only.

import-linter's own ``forbidden`` contract can forbid only whole external packages (``openai``), not
their private parts (``openai._base_client``, ``instructor.v2``), because the import graph records an
external import by its top-level package. The graph still keeps each import's line, so this contract
reads those lines: every import of ``package`` whose imported name starts with one of ``internals``
must come from one of ``allowed_modules``.

    [[tool.importlinter.contracts]]
    name = "..."
    type = "internals"
    package = "instructor"
    internals = ["instructor.v2"]
    allowed_modules = ["summarizer._shortcuts"]
"""

from __future__ import annotations

import re
from typing import Any

from importlinter import Contract, ContractCheck, fields, output

_IMPORT = re.compile(r"^\s*(?:from\s+([\w.]+)\s+import\b|import\s+([\w.]+))")


class InternalsContract(Contract):
    package = fields.StringField()
    internals = fields.ListField(subfield=fields.StringField())
    allowed_modules = fields.ListField(subfield=fields.StringField())

    def check(self, graph: Any, verbose: bool) -> ContractCheck:
        package = str(self.package)
        internals = [str(p) for p in self.internals]  # type: ignore[attr-defined]
        allowed = {str(m) for m in self.allowed_modules}  # type: ignore[attr-defined]
        violations = []
        for importer in sorted(graph.find_modules_that_directly_import(package)):
            for detail in graph.get_import_details(importer=importer, imported=package):
                match = _IMPORT.match(detail["line_contents"])
                name = (match.group(1) or match.group(2)) if match else ""
                if importer not in allowed and any(name.startswith(p) for p in internals):
                    violations.append((importer, detail["line_number"], detail["line_contents"]))
        return ContractCheck(kept=not violations, metadata={"violations": violations})

    def render_broken_contract(self, check: ContractCheck) -> None:
        for importer, line, contents in check.metadata["violations"]:
            output.print_error(f"{importer}:{line}: {contents.strip()} (only {', '.join(self.allowed_modules)} may)")  # type: ignore[attr-defined]
