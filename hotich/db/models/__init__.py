"""All ORM models, imported here so Alembic and `Base.metadata` see every table.

One module per feature; a feature adds its module here and an Alembic revision in
hotich/db/migrations/versions/.
"""
from hotich.db.base import Base
from hotich.db.models.booking import Booking, BookingClosure, BookingNotice, BookingSlot
from hotich.db.models.desk import CommuneSetting, DeskFormToken, DeskSession, OfficerAccount, OfficerAudit
from hotich.db.models.gateway import InboundEvent, OutboundMessage, PendingMessage
from hotich.db.models.handoff import HandoffAudit, HandoffConversation, HandoffMessage
from hotich.db.models.residents import QrScan, QuestionLog, Resident
from hotich.db.models.telegram import TelegramCallback, TelegramPress
from hotich.db.models.zalo import ZaloChoice, ZaloToken
from hotich.db.models.uploads import UploadConsent, UploadFile, UploadReview, UploadSubmission
from hotich.db.models.security import TrackerErasure

__all__ = ["Base", "Resident", "QuestionLog", "QrScan", "TelegramCallback", "TelegramPress", "PendingMessage",
           "OutboundMessage", "InboundEvent", "ZaloChoice", "ZaloToken",
           "HandoffConversation", "HandoffAudit", "HandoffMessage"]
__all__ += ["UploadConsent", "UploadSubmission", "UploadFile", "UploadReview"]
__all__ += ["BookingSlot", "Booking", "BookingNotice", "BookingClosure"]
__all__ += ["OfficerAccount", "DeskSession", "DeskFormToken", "OfficerAudit", "CommuneSetting"]
__all__ += ["TrackerErasure"]
