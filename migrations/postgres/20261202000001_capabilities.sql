-- Capabilities keep to their own tables (issue 18).
--
-- Deleting a photo lets go of the games made from it through the schema, not through a
-- second statement the photo store would have to know to run.
ALTER TABLE games DROP CONSTRAINT games_image_id_fkey;
ALTER TABLE games ADD CONSTRAINT games_image_id_fkey
    FOREIGN KEY (image_id) REFERENCES pet_images(id) ON DELETE SET NULL;

-- `/metrics` counts games made and failed from the event log at scrape time.
CREATE INDEX idx_analytics_events_event_type ON analytics_events(event_type);
