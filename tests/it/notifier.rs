//! The notifier: who gets what and when (memory mailer), every kind rendered (snapshots), real
//! SMTP on loopback (aiosmtpd), and `simulate --mail-dir`.

mod delivery;
mod digest_day;
mod mail_content;
mod preview;
mod smtp;
mod snapshots;
mod world;
