DROP TABLE client_needs;
DROP TABLE channel_types;
DROP FUNCTION touchpoints_set_updated_at();
