-- Issue 13: a contact phone on the user profile, shown in e-mails by the coordinator's
-- contact details.
ALTER TABLE users ADD COLUMN phone TEXT;
