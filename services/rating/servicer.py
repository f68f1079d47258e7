"""gRPC mapping for the rating service."""

from __future__ import annotations

from zhitong.rating.v1 import rating_pb2 as pb
from zhitong.rating.v1 import rating_pb2_grpc

from kit.actor import Actor
from kit.clock import local_today
from kit.proto import day, timestamp
from services.rating.domain import Ratings


def rating_pb(r) -> pb.Rating:
    return pb.Rating(
        id=r.id,
        invitation_id=r.invitation_id,
        rater=r.rater,
        enterprise=r.enterprise,
        department=r.department,
        subject_type=r.subject_type,
        subject_id=r.subject_id,
        score=r.score,
        comment=r.comment,
        at=timestamp(r.at),
        title=r.title,
    )


class RatingServicer(rating_pb2_grpc.RatingServiceServicer):
    def __init__(self, ratings: Ratings):
        self.ratings = ratings

    def _rectification(self, r) -> pb.Rectification:
        overdue = r.status == "open" and local_today(self.ratings.clock) > r.due_on
        return pb.Rectification(
            id=r.id,
            rating_id=r.rating_id,
            department=r.department,
            status=r.status,
            due_on=day(r.due_on),
            response=r.response,
            review_note=r.review_note,
            revisit_note=r.revisit_note,
            revisit_satisfied=r.revisit_satisfied,
            overdue=overdue,
            created_at=timestamp(r.created_at),
            score=r.rating.score if r.rating else 0,
            comment=r.rating.comment if r.rating else "",
            title=r.rating.title if r.rating else "",
        )

    def ListInvitations(self, request, context):
        rows = self.ratings.invitations(Actor.from_proto(request.actor), request.include_rated)
        return pb.ListInvitationsResponse(
            invitations=[
                pb.Invitation(
                    id=i.id,
                    subject_type=i.subject_type,
                    subject_id=i.subject_id,
                    department=i.department,
                    enterprise=i.enterprise,
                    project_id=i.project_id,
                    title=i.title,
                    opened_at=timestamp(i.opened_at),
                    rated=rated,
                )
                for i, rated in rows
            ]
        )

    def SubmitRating(self, request, context):
        rating, rectification = self.ratings.rate(
            Actor.from_proto(request.actor), request.invitation_id, request.score, request.comment
        )
        return pb.SubmitRatingResponse(
            rating=rating_pb(rating),
            rectification=self._rectification(self.ratings._rectification(rectification.id)) if rectification else None,
        )

    def ListRatings(self, request, context):
        rows = self.ratings.ratings(Actor.from_proto(request.actor), request.department, request.month)
        return pb.ListRatingsResponse(ratings=[rating_pb(r) for r in rows])

    def GetStats(self, request, context):
        rows = self.ratings.stats(Actor.from_proto(request.actor), request.month)
        return pb.GetStatsResponse(
            month=request.month,
            departments=[
                pb.DepartmentFigures(
                    department=f.department,
                    ratings=f.ratings,
                    average=f.average,
                    satisfaction_rate=f.satisfaction_rate,
                    bad_ratings=f.bad,
                    rectifications_due=f.rectifications_due,
                    rectifications_on_time=f.rectifications_on_time,
                    question_ratings=f.question_ratings,
                    question_satisfaction_rate=f.question_satisfaction_rate,
                )
                for f in rows
            ],
        )

    def ListRectifications(self, request, context):
        rows = self.ratings.rectifications(Actor.from_proto(request.actor), request.department, request.status)
        return pb.ListRectificationsResponse(rectifications=[self._rectification(r) for r in rows])

    def ActOnRectification(self, request, context):
        r = self.ratings.act_on_rectification(
            Actor.from_proto(request.actor), request.rectification_id, request.action, request.note, request.satisfied
        )
        return pb.ActOnRectificationResponse(rectification=self._rectification(r))

    def RecordRevisit(self, request, context):
        v = request.revisit
        revisit = self.ratings.record_revisit(
            Actor.from_proto(request.actor), v.enterprise, v.outcome, v.satisfied, v.note
        )
        return pb.RecordRevisitResponse(revisit=self._revisit(revisit))

    def ListRevisits(self, request, context):
        rows = self.ratings.revisits(Actor.from_proto(request.actor), request.enterprise)
        return pb.ListRevisitsResponse(revisits=[self._revisit(v) for v in rows])

    @staticmethod
    def _revisit(v) -> pb.Revisit:
        return pb.Revisit(
            id=v.id,
            enterprise=v.enterprise,
            by=v.by,
            at=timestamp(v.at),
            outcome=v.outcome,
            satisfied=v.satisfied,
            note=v.note,
        )
