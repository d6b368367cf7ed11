-- Reports (issue 22): anyone holding a game's link may ask the moderators to look at it. A
-- report is a `moderation_queue` item of `content_type` 'report' whose `flagged_reason` is
-- `report: {reason}` (domain::ReportReason); what the person wrote is kept beside it.
ALTER TABLE moderation_queue ADD COLUMN report_note TEXT;
