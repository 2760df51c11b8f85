DROP TABLE overdue_announcements;
DROP TABLE part_agreements;
