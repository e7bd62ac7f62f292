"""All ORM models, imported here so Alembic and `Base.metadata` see every table.

One module per feature; a feature adds its module here and an Alembic revision in
hotich/db/migrations/versions/.
"""
from hotich.db.base import Base
from hotich.db.models.booking import Booking, BookingClosure, BookingNotice, BookingSlot  # issue #4
from hotich.db.models.gateway import PendingMessage
from hotich.db.models.handoff import HandoffAudit, HandoffConversation, HandoffMessage
from hotich.db.models.residents import QrScan, QuestionLog, Resident
from hotich.db.models.security import TrackerErasure
from hotich.db.models.telegram import TelegramCallback, TelegramPress, TelegramUpdate
from hotich.db.models.uploads import UploadConsent, UploadFile, UploadReview, UploadSubmission  # issue #5

__all__ = ["Base", "Resident", "QuestionLog", "QrScan", "TelegramUpdate", "TelegramCallback", "TelegramPress", "PendingMessage",
           "HandoffConversation", "HandoffAudit", "HandoffMessage"]
__all__ += ["UploadConsent", "UploadSubmission", "UploadFile", "UploadReview"]  # issue #5
__all__ += ["BookingSlot", "Booking", "BookingNotice", "BookingClosure"]  # issue #4
__all__ += ["TrackerErasure"]
