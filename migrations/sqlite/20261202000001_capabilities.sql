-- Capabilities keep to their own tables (issue 18).
--
-- Deleting a photo lets go of the games made from it through the schema, not through a
-- second statement the photo store would have to know to run. SQLite cannot alter a foreign
-- key, so a trigger does what PostgreSQL's ON DELETE SET NULL does.
CREATE TRIGGER pet_images_release_games BEFORE DELETE ON pet_images
BEGIN
    UPDATE games SET image_id = NULL WHERE image_id = OLD.id;
END;

-- `/metrics` counts games made and failed from the event log at scrape time.
CREATE INDEX idx_analytics_events_event_type ON analytics_events(event_type);
