"""gRPC mapping for the workflow service: proto in, domain call, proto out. No SQL and no rules here."""

from __future__ import annotations

from zhitong.workflow.v1 import workflow_pb2 as pb
from zhitong.workflow.v1 import workflow_pb2_grpc

from kit.actor import Actor
from kit.catalog import ProjectFacts
from kit.proto import day, enum_value, enum_word, timestamp
from services.workflow.domain import (
    ApprovalPlanView,
    ItemView,
    ProjectView,
    ServiceTeamView,
    StageView,
    TeamMemberInput,
    Workflow,
)
from services.workflow.planning import Span


def actor_of(message) -> Actor:
    return Actor.from_proto(message)


def colour(word: str | None) -> int:
    return enum_value(pb.Colour, "COLOUR", word)


def facts_of(message: pb.ProjectFacts) -> ProjectFacts:
    return ProjectFacts(message.project_type, dict(message.attributes), message.regional_evaluation_zone, message.major)


def item_pb(v: ItemView) -> pb.Item:
    return pb.Item(
        id=v.id,
        project_id=v.project_id,
        project_name=v.project_name,
        major=v.major,
        code=v.code,
        stage=v.stage,
        department=v.department,
        name_zh=v.name_zh,
        status=v.status,
        colour=colour(v.colour),
        warning=v.warning,
        promised_days=v.promised_days,
        effective_days=v.effective_days,
        used_days=v.used_days,
        deadline=day(v.deadline),
        accepted_on=day(v.accepted_on),
        decided_on=day(v.decided_on),
        suspended_days=v.suspended_days,
        materials=v.materials,
        produces=v.produces,
        deferred_materials=v.deferred_materials,
    )


def stage_pb(v: StageView, with_items: bool = True) -> pb.Stage:
    return pb.Stage(
        code=v.code,
        name_zh=v.name_zh,
        status=v.status,
        colour=colour(v.colour),
        stage_days=v.stage_days,
        accepted_on=day(v.accepted_on),
        planned_finish=day(v.planned_finish),
        projected_finish=day(v.projected_finish),
        finished_on=day(v.finished_on),
        slack_days=v.slack_days,
        used_days=v.used_days,
        return_reason=v.return_reason,
        items=[item_pb(i) for i in v.items] if with_items else [],
    )


def project_pb(v: ProjectView, with_items: bool = True) -> pb.Project:
    return pb.Project(
        id=v.id,
        code=v.code,
        name=v.name,
        enterprise=v.enterprise,
        agent=v.agent,
        project_type=v.project_type,
        major=v.major,
        status=v.status,
        colour=colour(v.colour),
        current_stage=v.current_stage,
        target_days=v.target_days,
        used_days=v.used_days,
        projected_days=v.projected_days,
        slack_days=v.slack_days,
        stages=[stage_pb(s, with_items) for s in v.stages],
        calendar_warning=v.calendar_warning,
        created_at=timestamp(v.created_at),
        documents=[
            pb.ProducedDocument(
                material=d.material, item_code=d.item_code, item_id=d.item_id, issued_on=day(d.issued_on)
            )
            for d in v.documents
        ],
    )


def audit_pb(e) -> pb.AuditEntry:
    return pb.AuditEntry(
        at=timestamp(e.at),
        actor=e.actor,
        actor_role=e.actor_role,
        action=e.action,
        from_status=e.from_status,
        to_status=e.to_status,
        reason=e.reason,
        subject_type=e.subject_type,
        subject_id=e.subject_id,
        on_behalf_of=e.on_behalf_of,
        project_id=e.project_id,
    )


def team_pb(v: ServiceTeamView) -> pb.ServiceTeam:
    return pb.ServiceTeam(
        project_id=v.project_id,
        agent=v.agent,
        members=[pb.TeamMember(role=m.role, name=m.name, department=m.department, phone=m.phone) for m in v.members],
    )


def member_of(message: pb.TeamMember) -> TeamMemberInput:
    return TeamMemberInput(message.name, message.phone, message.department)


def span_pb(span: Span) -> pb.DateSpan:
    return pb.DateSpan(accept=day(span.accept), finish=day(span.finish))


def plan_pb(v: ApprovalPlanView, material_names: dict[str, str], department_names: dict[str, str]) -> pb.ApprovalPlan:
    p, s = v.project, v.schedule
    return pb.ApprovalPlan(
        project_id=p.id,
        project_name=p.name,
        enterprise=p.enterprise,
        project_type=p.project_type,
        major=p.major,
        agent=p.agent,
        project_status=p.status,
        today=day(s.today),
        target_start=day(s.target_start),
        construction_after=s.construction_after,
        earliest_start=day(s.earliest_start),
        feasible=bool(s.feasible),
        shortfall_days=s.shortfall_days,
        slack_days=s.slack_days,
        calendar_warning=v.calendar_warning,
        stages=[
            pb.PlanStage(
                code=st.code,
                name_zh=st.name_zh,
                status=st.status,
                stage_days=st.stage_days,
                binds_start=st.binds_start,
                latest=span_pb(st.latest),
                forecast=span_pb(st.forecast),
                actual=span_pb(st.actual),
                items=[
                    pb.PlanItem(
                        id=i.item.id,
                        code=i.item.code,
                        name_zh=i.item.name_zh,
                        department=i.item.department,
                        department_name=department_names.get(i.item.department, i.item.department),
                        effective_days=i.item.effective_days,
                        materials=[pb.Material(code=m, name_zh=material_names.get(m, m)) for m in i.item.materials],
                        status=i.item.status,
                        latest=span_pb(i.latest),
                        forecast=span_pb(i.forecast),
                        actual=span_pb(Span(i.item.accepted_on, i.item.decided_on)),
                    )
                    for i in st.items
                ],
            )
            for st in s.stages
        ],
    )


def follow_up_pb(f, names: dict[str, str]) -> pb.FollowUp:
    return pb.FollowUp(
        id=f.id,
        project_id=f.project_id,
        category=f.category,
        category_name=names.get(f.category, f.category),
        happened_on=day(f.happened_on),
        people=list(f.people),
        outcome=f.outcome,
        recorded_by=f.recorded_by,
        recorded_at=timestamp(f.recorded_at),
    )


class WorkflowServicer(workflow_pb2_grpc.WorkflowServiceServicer):
    def __init__(self, workflow: Workflow):
        self.workflow = workflow

    def GetCatalog(self, request, context):
        cat = self.workflow.catalog
        items = [i for i in cat.items if not request.project_type or request.project_type in i.applies_to]
        return pb.GetCatalogResponse(
            version=cat.version,
            project_types=[
                pb.ProjectType(
                    code=t.code,
                    name_zh=t.name_zh,
                    target_days=t.target_days,
                    pre_reform_days=t.pre_reform_days,
                    stage_days=dict(t.stage_days),
                )
                for t in cat.project_types.values()
            ],
            stages=[pb.StageDefinition(code=s.code, order=s.order, name_zh=s.name_zh) for s in cat.stages],
            departments=[pb.Department(code=d.code, name_zh=d.name_zh) for d in cat.departments.values()],
            materials=[pb.Material(code=m.code, name_zh=m.name_zh) for m in cat.materials.values()],
            items=[
                pb.CatalogItem(
                    code=i.code,
                    stage=i.stage,
                    department=i.department,
                    name_zh=i.name_zh,
                    promised_days=i.promised_days,
                    statutory_days=i.statutory_days,
                    applies_to=i.applies_to,
                    when=i.when,
                    waived_by_regional_evaluation=i.waived_by_regional_evaluation,
                    materials=i.materials_for(request.project_type) if request.project_type else i.materials,
                    produces=i.produces,
                )
                for i in items
            ],
        )

    def PreviewPlan(self, request, context):
        facts = facts_of(request.facts)
        planned = self.workflow.preview_plan(facts)
        return pb.PreviewPlanResponse(
            items=[
                pb.PlannedItem(
                    code=p.item.code,
                    stage=p.item.stage,
                    department=p.item.department,
                    name_zh=p.item.name_zh,
                    promised_days=p.item.promised_days,
                    effective_days=p.effective_days,
                    materials=p.item.materials_for(facts.project_type),
                    produces=p.item.produces,
                )
                for p in planned
            ]
        )

    def CreatePlan(self, request, context):
        view = self.workflow.create_plan(
            actor_of(request.actor),
            request.project_id,
            request.project_name,
            request.enterprise,
            facts_of(request.facts),
            request.agent,
            request.project_code,
        )
        return pb.CreatePlanResponse(project=project_pb(view))

    def GetProject(self, request, context):
        return pb.GetProjectResponse(
            project=project_pb(self.workflow.get_project(actor_of(request.actor), request.project_id))
        )

    def ListProjects(self, request, context):
        views, total, warning = self.workflow.list_projects(
            actor_of(request.actor),
            enum_word(pb.Colour, "COLOUR", request.colour),
            request.stage,
            request.project_type,
            request.limit or 100,
            request.offset,
        )
        return pb.ListProjectsResponse(
            projects=[project_pb(v, with_items=False) for v in views], total=total, calendar_warning=warning
        )

    def SubmitStage(self, request, context):
        stage = self.workflow.submit_stage(
            actor_of(request.actor), request.project_id, request.stage, request.deferred_materials
        )
        return pb.SubmitStageResponse(stage=stage_pb(stage))

    def ActOnStage(self, request, context):
        stage = self.workflow.act_on_stage(
            actor_of(request.actor), request.project_id, request.stage, request.action, request.reason
        )
        return pb.ActOnStageResponse(stage=stage_pb(stage))

    def SupplyMaterial(self, request, context):
        ids = self.workflow.supply_material(actor_of(request.actor), request.project_id, request.material)
        return pb.SupplyMaterialResponse(item_ids=ids)

    def ListItems(self, request, context):
        items, warning = self.workflow.list_items(
            actor_of(request.actor),
            request.department,
            request.status,
            enum_word(pb.Colour, "COLOUR", request.colour),
            request.project_id,
            request.limit or 500,
        )
        return pb.ListItemsResponse(items=[item_pb(i) for i in items], calendar_warning=warning)

    def GetItem(self, request, context):
        item, warning = self.workflow.get_item(actor_of(request.actor), request.item_id)
        return pb.GetItemResponse(item=item_pb(item), calendar_warning=warning)

    def ActOnItem(self, request, context):
        item, warning = self.workflow.act_on_item(
            actor_of(request.actor), request.item_id, request.action, request.reason
        )
        return pb.ActOnItemResponse(item=item_pb(item), calendar_warning=warning)

    def ListItemHistory(self, request, context):
        entries = self.workflow.item_history(actor_of(request.actor), request.item_id)
        return pb.ListItemHistoryResponse(entries=[audit_pb(e) for e in entries])

    def GetCalendarYear(self, request, context):
        view = self.workflow.calendar_year(request.year)
        return pb.GetCalendarYearResponse(
            year=view.year,
            source=view.source,
            calendar_warning=view.calendar_warning,
            days=[pb.CalendarDay(date=d.isoformat(), workday=w, note=n) for d, w, n in view.days],
        )

    def PutCalendarYear(self, request, context):
        source = self.workflow.put_calendar_year(
            actor_of(request.actor), request.year, request.holidays, request.workdays, request.replace_published
        )
        return pb.PutCalendarYearResponse(year=request.year, source=source)

    def DeleteCalendarYear(self, request, context):
        source = self.workflow.delete_calendar_year(actor_of(request.actor), request.year)
        return pb.DeleteCalendarYearResponse(year=request.year, source=source)

    # ---- 双一 service ----

    def SetMajor(self, request, context):
        view = self.workflow.set_major(actor_of(request.actor), request.project_id, request.major, request.reason)
        return pb.SetMajorResponse(project=project_pb(view))

    def AssignServiceTeam(self, request, context):
        team = self.workflow.assign_service_team(
            actor_of(request.actor),
            request.project_id,
            request.agent,
            member_of(request.lead) if request.HasField("lead") else None,
            [member_of(m) for m in request.members],
        )
        return pb.AssignServiceTeamResponse(team=team_pb(team))

    def GetServiceTeam(self, request, context):
        return pb.GetServiceTeamResponse(
            team=team_pb(self.workflow.service_team(actor_of(request.actor), request.project_id))
        )

    def SetTargetStart(self, request, context):
        view = self.workflow.set_target_start(actor_of(request.actor), request.project_id, request.target_start)
        return pb.SetTargetStartResponse(plan=plan_pb(view, *self._names()))

    def GetApprovalPlan(self, request, context):
        view = self.workflow.approval_plan(actor_of(request.actor), request.project_id)
        return pb.GetApprovalPlanResponse(plan=plan_pb(view, *self._names()))

    def ListProjectHistory(self, request, context):
        entries = self.workflow.project_history(actor_of(request.actor), request.project_id)
        return pb.ListProjectHistoryResponse(entries=[audit_pb(e) for e in entries])

    def ListFollowUpCategories(self, request, context):
        return pb.ListFollowUpCategoriesResponse(
            categories=[
                pb.FollowUpCategory(code=c.code, name_zh=c.name_zh) for c in self.workflow.follow_up_categories()
            ]
        )

    def PutFollowUpCategory(self, request, context):
        row, created = self.workflow.put_follow_up_category(
            actor_of(request.actor), request.category.code, request.category.name_zh, request.create
        )
        return pb.PutFollowUpCategoryResponse(
            category=pb.FollowUpCategory(code=row.code, name_zh=row.name_zh), created=created
        )

    def DeleteFollowUpCategory(self, request, context):
        self.workflow.delete_follow_up_category(actor_of(request.actor), request.code)
        return pb.DeleteFollowUpCategoryResponse()

    def RecordFollowUp(self, request, context):
        row = self.workflow.record_follow_up(
            actor_of(request.actor),
            request.project_id,
            request.category,
            request.happened_on,
            request.people,
            request.outcome,
        )
        return pb.RecordFollowUpResponse(follow_up=follow_up_pb(row, self.workflow.category_names()))

    def ListFollowUps(self, request, context):
        rows = self.workflow.follow_ups(actor_of(request.actor), request.project_id)
        names = self.workflow.category_names()
        return pb.ListFollowUpsResponse(follow_ups=[follow_up_pb(f, names) for f in rows])

    def _names(self) -> tuple[dict[str, str], dict[str, str]]:
        """Material and department names of the catalog."""
        cat = self.workflow.catalog
        return {m.code: m.name_zh for m in cat.materials.values()}, {
            d.code: d.name_zh for d in cat.departments.values()
        }

    # ---------------- figures ----------------

    def GetDashboard(self, request, context):
        d = self.workflow.figures.dashboard(actor_of(request.actor), request.department)
        return pb.GetDashboardResponse(
            projects=[
                pb.ProjectCount(
                    project_type=p.project_type, stage=p.stage, status=p.status, colour=colour(p.colour), count=p.count
                )
                for p in d.projects
            ],
            open_items=[pb.OpenItemCount(department=dept, state=state, count=n) for dept, state, n in d.open_items],
            compression=[
                pb.Compression(
                    project_type=c.project_type,
                    finished=c.finished,
                    used_days=c.used_days,
                    pre_reform_days=c.pre_reform_days,
                )
                for c in d.compression
            ],
            materials_asked=d.materials_asked,
            as_of=day(d.as_of),
        )

    def GetMonthlyFigures(self, request, context):
        departments, projects = self.workflow.figures.monthly(
            actor_of(request.actor), request.from_month, request.to_month, request.department
        )
        return pb.GetMonthlyFiguresResponse(
            departments=[pb.DepartmentMonth(**vars(r)) for r in departments],
            projects=[pb.ProjectTypeMonth(**vars(r)) for r in projects],
        )

    def ListLateItems(self, request, context):
        found, as_of = self.workflow.figures.late_items(
            actor_of(request.actor), request.month, request.department, request.limit
        )
        return pb.ListLateItemsResponse(
            items=[
                pb.LateItem(item=item_pb(r.item), days_overdue=r.days_overdue, project_type=r.project_type)
                for r in found
            ],
            as_of=day(as_of),
        )
