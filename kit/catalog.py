"""The approval catalog (事项目录): project types with their stage limits, stages, departments, materials and items.

Loaded from a city's YAML file (the shipped default is `data/catalog.yaml`) and checked for consistency, so that a
typo in a department or material code stops the service with a clear message instead of surfacing later.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import yaml


class CatalogError(ValueError):
    pass


@dataclass(frozen=True)
class ProjectType:
    code: str
    name_zh: str
    target_days: int
    pre_reform_days: int
    stage_days: Mapping[str, int]


@dataclass(frozen=True)
class StageDef:
    code: str
    order: int
    name_zh: str


@dataclass(frozen=True)
class Department:
    code: str
    name_zh: str


@dataclass(frozen=True)
class Material:
    code: str
    name_zh: str


@dataclass(frozen=True)
class ProjectFacts:
    """What decides which items a project needs (a project's type, attributes and site)."""

    project_type: str
    attributes: Mapping[str, bool] = field(default_factory=dict)
    regional_evaluation_zone: bool = False
    major: bool = False


@dataclass(frozen=True)
class ItemDef:
    code: str
    stage: str
    department: str
    name_zh: str
    statutory_days: int
    promised_days: int
    applies_to: tuple[str, ...]
    materials: tuple[str, ...]
    when: str = ""
    waived_by_regional_evaluation: bool = False
    produces: str = ""
    exempt_materials_for: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def applies(self, facts: ProjectFacts) -> bool:
        """Whether a project with these facts needs this item."""
        if facts.project_type not in self.applies_to:
            return False
        if self.when and not facts.attributes.get(self.when, False):
            return False
        return not (self.waived_by_regional_evaluation and facts.regional_evaluation_zone)

    def materials_for(self, project_type: str) -> tuple[str, ...]:
        exempt = set(self.exempt_materials_for.get(project_type, ()))
        return tuple(m for m in self.materials if m not in exempt)


@dataclass(frozen=True)
class PlannedItem:
    item: ItemDef
    effective_days: int


@dataclass(frozen=True)
class Catalog:
    version: str
    project_types: Mapping[str, ProjectType]
    stages: tuple[StageDef, ...]
    departments: Mapping[str, Department]
    materials: Mapping[str, Material]
    items: tuple[ItemDef, ...]
    # The stage whose decision (the construction permit) allows construction to start (开工): the stages up to
    # and including it bind an enterprise's target start date; later ones (completion acceptance) follow
    # construction. Default: the stage before the last.
    construction_after: str = ""

    def stage(self, code: str) -> StageDef:
        for s in self.stages:
            if s.code == code:
                return s
        raise KeyError(code)

    def effective_days(self, item: ItemDef, project_type: str) -> int:
        """An item's limit in a project: the smaller of its promised limit and its stage's limit for the type."""
        return min(item.promised_days, self.project_types[project_type].stage_days[item.stage])

    def plan(self, facts: ProjectFacts) -> list[PlannedItem]:
        """The items a project needs, in catalog order, each with its effective limit."""
        if facts.project_type not in self.project_types:
            raise CatalogError(f"unknown project type {facts.project_type!r}")
        return [
            PlannedItem(item, self.effective_days(item, facts.project_type))
            for item in self.items
            if item.applies(facts)
        ]


def load_catalog(path: Path) -> Catalog:
    """Read and check a catalog file."""
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise CatalogError(f"cannot read catalog {path}: {exc}") from exc
    try:
        stages = tuple(
            sorted((StageDef(s["code"], int(s["order"]), s["name_zh"]) for s in raw["stages"]), key=lambda s: s.order)
        )
        stage_codes = {s.code for s in stages}
        types = {
            t["code"]: ProjectType(
                t["code"],
                t["name_zh"],
                int(t["target_days"]),
                int(t["pre_reform_days"]),
                {k: int(v) for k, v in t["stage_days"].items()},
            )
            for t in raw["project_types"]
        }
        departments = {d["code"]: Department(d["code"], d["name_zh"]) for d in raw["departments"]}
        materials = {m["code"]: Material(m["code"], m["name_zh"]) for m in raw["materials"]}
        items = tuple(
            ItemDef(
                code=i["code"],
                stage=i["stage"],
                department=i["department"],
                name_zh=i["name_zh"],
                statutory_days=int(i["statutory_days"]),
                promised_days=int(i["promised_days"]),
                applies_to=tuple(i["applies_to"]),
                materials=tuple(i.get("materials", ())),
                when=i.get("when", "") or "",
                waived_by_regional_evaluation=bool(i.get("waived_by_regional_evaluation")),
                produces=i.get("produces", "") or "",
                exempt_materials_for={k: tuple(v) for k, v in (i.get("exempt_materials_for") or {}).items()},
            )
            for i in raw["items"]
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise CatalogError(f"catalog {path} is malformed: {exc!r}") from exc

    problems: list[str] = []
    for t in types.values():
        if set(t.stage_days) != stage_codes:
            problems.append(f"type {t.code}: stage_days must name every stage {sorted(stage_codes)}")
    seen: set[str] = set()
    for i in items:
        if i.code in seen:
            problems.append(f"item {i.code} appears twice")
        seen.add(i.code)
        if i.stage not in stage_codes:
            problems.append(f"item {i.code}: unknown stage {i.stage}")
        if i.department not in departments:
            problems.append(f"item {i.code}: unknown department {i.department}")
        for m in (*i.materials, *([i.produces] if i.produces else [])):
            if m not in materials:
                problems.append(f"item {i.code}: unknown material {m}")
        for t in (*i.applies_to, *i.exempt_materials_for):
            if t not in types:
                problems.append(f"item {i.code}: unknown project type {t}")
        if i.promised_days < 0 or i.promised_days > i.statutory_days and i.statutory_days:
            problems.append(f"item {i.code}: promised_days must be between 0 and statutory_days")
    construction_after = str(raw.get("construction_starts_after") or (stages[-2].code if len(stages) > 1 else ""))
    if stages and construction_after not in stage_codes:
        problems.append(f"construction_starts_after: unknown stage {construction_after}")
    if problems:
        raise CatalogError(f"catalog {path}: " + "; ".join(problems))
    return Catalog(str(raw.get("version", "")), types, stages, departments, materials, items, construction_after)
