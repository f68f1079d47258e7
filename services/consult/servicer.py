"""gRPC mapping for the consult service."""

from __future__ import annotations

from zhitong.consult.v1 import consult_pb2 as pb
from zhitong.consult.v1 import consult_pb2_grpc

from kit.actor import Actor
from kit.proto import day, timestamp
from services.consult.domain import Consult, Figures


def flag_pb(f, subject: str = "") -> pb.Flag:
    return pb.Flag(
        id=f.id,
        question_id=f.question_id,
        reply_id=f.reply_id or 0,
        kind=f.kind,
        note=f.note,
        flagged_by=f.flagged_by,
        at=timestamp(f.at),
        department=f.department,
        subject=subject,
    )


def figures_pb(f: Figures) -> pb.DepartmentFigures:
    return pb.DepartmentFigures(
        department=f.department,
        due=f.due,
        replied=f.replied,
        replied_on_time=f.replied_on_time,
        reply_rate=f.reply_rate,
        timely_rate=f.timely_rate,
        flags=f.flags,
        late_flags=f.late_flags,
        perfunctory_flags=f.perfunctory_flags,
    )


class ConsultServicer(consult_pb2_grpc.ConsultServiceServicer):
    def __init__(self, consult: Consult):
        self.consult = consult

    def _question(self, q) -> pb.Question:
        overdue = self.consult.is_overdue(q)
        return pb.Question(
            id=q.id,
            asker=q.asker,
            enterprise=q.enterprise,
            department=q.department,
            forwarded_from=q.forwarded_from,
            subject=q.subject,
            body=q.body,
            project_id=q.project_id,
            item_id=q.item_id,
            status=q.status,
            posted_at=timestamp(q.posted_at),
            due_at=timestamp(q.due_at),
            first_reply_at=timestamp(q.first_reply_at),
            closed_at=timestamp(q.closed_at),
            overdue=overdue,
            timely=q.first_reply_at is not None and not overdue,
            messages=[
                pb.Message(
                    id=m.id, author=m.author, author_role=m.author_role, kind=m.kind, body=m.body, at=timestamp(m.at)
                )
                for m in q.messages
            ],
            flags=[flag_pb(f) for f in q.flags],
        )

    def _case(self, c) -> pb.Case:
        return pb.Case(
            id=c.id,
            project_id=c.project_id,
            title=c.title,
            problem=c.problem,
            raised_by=c.raised_by,
            enterprise=c.enterprise,
            lead_department=c.lead_department,
            participants=c.participants,
            plan=c.plan,
            target_date=day(c.target_date),
            responsible=c.responsible,
            mode=c.mode,
            meeting_link=c.meeting_link,
            minutes=c.minutes,
            status=c.status,
            resolution=c.resolution,
            colour=self.consult.case_colour(c),
            created_at=timestamp(c.created_at),
            closed_at=timestamp(c.closed_at),
            updates=[pb.CaseUpdate(by=u.by, at=timestamp(u.at), note=u.note, status=u.status) for u in c.updates],
        )

    def PostQuestion(self, request, context):
        q = self.consult.post_question(
            Actor.from_proto(request.actor),
            request.department,
            request.subject,
            request.body,
            request.project_id,
            request.item_id,
        )
        return pb.PostQuestionResponse(question=self._question(q))

    def ListQuestions(self, request, context):
        rows = self.consult.list_questions(
            Actor.from_proto(request.actor), request.department, request.status, request.overdue, request.limit or 200
        )
        return pb.ListQuestionsResponse(questions=[self._question(q) for q in rows])

    def GetQuestion(self, request, context):
        return pb.GetQuestionResponse(
            question=self._question(self.consult.get_question(Actor.from_proto(request.actor), request.question_id))
        )

    def PostReply(self, request, context):
        q = self.consult.reply(Actor.from_proto(request.actor), request.question_id, request.body)
        return pb.PostReplyResponse(question=self._question(q))

    def ForwardQuestion(self, request, context):
        q = self.consult.forward(Actor.from_proto(request.actor), request.question_id, request.department)
        return pb.ForwardQuestionResponse(question=self._question(q))

    def CloseQuestion(self, request, context):
        q = self.consult.close(Actor.from_proto(request.actor), request.question_id)
        return pb.CloseQuestionResponse(question=self._question(q))

    def FlagReply(self, request, context):
        actor = Actor.from_proto(request.actor)
        f = self.consult.flag(actor, request.question_id, request.kind, request.note)
        return pb.FlagReplyResponse(flag=flag_pb(f, self.consult.get_question(actor, request.question_id).subject))

    def ListFlags(self, request, context):
        rows = self.consult.list_flags(Actor.from_proto(request.actor), request.department, request.month)
        return pb.ListFlagsResponse(flags=[flag_pb(f, subject) for f, subject in rows])

    def GetStats(self, request, context):
        rows, city = self.consult.stats(Actor.from_proto(request.actor), request.month)
        return pb.GetStatsResponse(
            month=request.month, departments=[figures_pb(f) for f in rows], city=figures_pb(city) if city else None
        )

    def OpenCase(self, request, context):
        c = request.case
        opened = self.consult.open_case(
            Actor.from_proto(request.actor),
            c.project_id,
            c.title,
            c.problem,
            c.lead_department,
            list(c.participants),
            c.plan,
            c.target_date,
            c.responsible,
            c.mode or "online",
            c.meeting_link,
        )
        return pb.OpenCaseResponse(case=self._case(opened))

    def ListCases(self, request, context):
        rows = self.consult.list_cases(
            Actor.from_proto(request.actor), request.status, request.project_id, request.overdue_only
        )
        return pb.ListCasesResponse(cases=[self._case(c) for c in rows])

    def GetCase(self, request, context):
        return pb.GetCaseResponse(
            case=self._case(self.consult.get_case(Actor.from_proto(request.actor), request.case_id))
        )

    def UpdateCase(self, request, context):
        updated = self.consult.update_case(
            Actor.from_proto(request.actor),
            request.case_id,
            request.note,
            request.status,
            plan=request.plan,
            target_date=request.target_date,
            responsible=request.responsible,
            meeting_link=request.meeting_link,
            minutes=request.minutes,
            resolution=request.resolution,
            participants=list(request.participants),
        )
        return pb.UpdateCaseResponse(case=self._case(updated))
