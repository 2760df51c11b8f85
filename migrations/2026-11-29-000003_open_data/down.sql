DROP TABLE region_open_data;
DROP TABLE agency_open_data;
